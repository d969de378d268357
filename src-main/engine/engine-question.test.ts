// Question-dependent pruning end to end on the trained LLaVA fixture: the decoder probe's ranking, timed as its
// own stage, changing with the question on one photo.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from './engine';
import { engineErrorOf } from './test/engine-errors';
import { fixtureDir, photo } from './test/paths';

const tmp = mkdtempSync(join(tmpdir(), 'vtc-engine-question-'));
let engine: Engine;

beforeAll(async () => {
  engine = await Engine.load(fixtureDir('tiny-llava'), { cacheDir: join(tmp, 'photos'), graphCacheDir: join(tmp, 'graphs'), threads: 1 });
});
afterAll(async () => {
  await engine?.dispose();
  rmSync(tmp, { recursive: true, force: true });
});

const fastv = (prompt: string) =>
  engine.compare({ image: photo('chelsea.png'), prompt, method: 'fastv', budget: { kind: 'ratio', ratio: 0.25 }, maxNewTokens: 2 });

describe('fastv', () => {
  it("keeps the top quarter by the last prompt token's LLM attention, which changes with the question", async () => {
    const [a, b] = [await fastv('what color is the circle?'), await fastv('is there a red square?')];
    for (const r of [a, b]) {
      expect(r.pruned.kept).toHaveLength(64);
      const keptSet = new Set(r.pruned.kept);
      const lowestKept = Math.min(...r.pruned.kept.map((k) => r.scores[k]));
      expect(Math.max(...r.scores.filter((_, i) => !keptSet.has(i)))).toBeLessThanOrEqual(lowestKept);
      // Attention of one query row over the visual tokens: positive, and less than the whole row.
      expect(r.scores.every((s) => s > 0)).toBe(true);
      expect(r.scores.reduce((x, y) => x + y, 0)).toBeLessThan(1);
      expect(r.pruned.timings.rankMs).toBeGreaterThan(0);
    }
    expect(a.scores).not.toEqual(b.scores);
  });
});

describe('explain', () => {
  it("ranks by the trained compressor's softmax over the visual tokens, which changes with the question", async () => {
    const explain = (prompt: string) =>
      engine.askPruned({ image: photo('chelsea.png'), prompt, method: 'explain', budget: { kind: 'ratio', ratio: 0.25 }, maxNewTokens: 2 });
    const [a, b] = [await explain('what color is the circle?'), await explain('how many squares are there?')];
    for (const r of [a, b]) {
      expect(r.kept).toHaveLength(64);
      expect(r.scores.reduce((x, y) => x + y, 0)).toBeCloseTo(1, 4);
      expect(r.timings.rankMs).toBeGreaterThan(0);
    }
    expect(a.scores).not.toEqual(b.scores);
  });

  it('is refused, naming the file, in a model folder without a trained token compressor', async () => {
    const bare = join(tmp, 'bare-llava');
    cpSync(fixtureDir('tiny-llava'), bare, { recursive: true, filter: (src) => !src.endsWith('token_compressor.onnx') });
    const other = await Engine.load(bare, { graphCacheDir: join(tmp, 'graphs'), threads: 1 });
    try {
      const e = await engineErrorOf(
        other.askPruned({ image: photo('chelsea.png'), prompt: 'what is it?', method: 'explain', budget: { kind: 'ratio', ratio: 0.25 } }),
      );
      expect(e.message).toMatch(/explain needs a trained token compressor, and .*bare-llava\/onnx\/token_compressor\.onnx is not there/);
    } finally {
      await other.dispose();
    }
  });
});
