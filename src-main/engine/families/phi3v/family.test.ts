// The Phi-3-vision family: its HD crop arithmetic and token sequence against the reference processor's
// published counts, its prompt, and pruning through the engine on the tiny-phi3v fixture (separators stay,
// budgets count prunable tokens, keeping every token answers exactly as the full prompt).
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PruningMethod } from '../../../../src-shared/api';
import { Engine } from '../../engine';
import { decodeImageFile } from '../../image/decode-image';
import { SEPARATOR, visualSequence } from '../../pruning/sequence';
import { thrownEngineError } from '../../test/engine-errors';
import { fixtureDir, photo } from '../../test/paths';
import { hdSize } from './image-processor';
import { phi3vSequence } from './family';

const QUESTION = 'What is in this photo?';

describe('hdSize', () => {
  it('gives the sizes transformers.js documents for a 1280x640 image', () => {
    // Padded to multiples of 336 these are its image_sizes [336, 672] (num_crops 4) and [1008, 1680] (16).
    expect(hdSize(1280, 640, 4)).toEqual([672, 336]);
    expect(hdSize(1280, 640, 16)).toEqual([1680, 840]);
    expect(hdSize(640, 640, 4)).toEqual([672, 672]);
  });
});

describe('phi3vSequence', () => {
  it('has as many rows as the reference counts image tokens, and every token once', () => {
    // (rows * cols + 1) * 144 + 1 + (rows + 1) * 12, as the reference processor counts them.
    for (const [rows, cols, count] of [
      [1, 2, 457],
      [2, 2, 757],
      [3, 5, 2353],
    ]) {
      const sequence = phi3vSequence(rows, cols, 12);
      expect(sequence).toHaveLength(count);
      const layout = { tiles: 1 + rows * cols, patchRows: 24, patchCols: 24, poolFactor: 2, sequence };
      expect(visualSequence(layout)).toHaveLength(count);
      expect(sequence.filter((g) => g === SEPARATOR)).toHaveLength(rows * 12 + 1 + 12);
    }
  });

  it('reads the crops as one grid, a newline after each row, then the separator and the global view', () => {
    const sequence = phi3vSequence(1, 2, 12);
    // Row 0 of the grid: crop 1's first token row, then crop 2's, then a newline.
    expect(sequence.slice(0, 12)).toEqual(Array.from({ length: 12 }, (_, c) => 144 + c));
    expect(sequence.slice(12, 24)).toEqual(Array.from({ length: 12 }, (_, c) => 288 + c));
    expect(sequence[24]).toBe(SEPARATOR);
    expect(sequence[25]).toBe(144 + 12);
    // After 12 rows of 25: the separator, then the global view's first row and its newline.
    expect(sequence[300]).toBe(SEPARATOR);
    expect(sequence.slice(301, 313)).toEqual(Array.from({ length: 12 }, (_, c) => c));
    expect(sequence[313]).toBe(SEPARATOR);
  });
});

describe('Phi-3-vision through the engine (tiny-phi3v)', () => {
  let engine: Engine;

  beforeAll(async () => {
    engine = await Engine.load(fixtureDir('tiny-phi3v'), { graphCacheDir: join(tmpdir(), `vtc-phi3v-graphs-${process.pid}`) });
  });
  afterAll(async () => {
    await engine?.dispose();
  });

  it('opens the modules of the onnx-community export and spells the photo as negative ids', async () => {
    expect(engine.variants).toEqual({ vision_encoder: 'fp32', prepare_inputs_embeds: 'fp32', model: 'fp32' });
    const { visionFeeds, ...layout } = await engine.family.prepareImage(await decodeImageFile(photo('chelsea.png')));
    expect(visionFeeds.image_sizes.data).toEqual(BigInt64Array.of(672n, 672n));
    const ids = engine.family.promptIds([{ role: 'user', text: QUESTION }], layout, new Array(layout.tiles).fill(layout.tokensPerTile));
    expect(ids.filter((id) => id === engine.family.imageTokenId)).toHaveLength(757);
    expect(ids.filter((id) => id < 0 && id !== engine.family.imageTokenId)).toEqual([]);
    expect(thrownEngineError(() => engine.family.promptIds([{ role: 'user', text: 'a <|image|> b' }], layout, [144])).message).toBe(
      'the text may not contain the reserved token <|image|>',
    );
  });

  it.each(['vtc-cls', 'vtc-cls-ensemble', 'received'] as PruningMethod[])(
    '%s keeps every separator and counts the budget in prunable tokens',
    async (method) => {
      const result = await engine.compare({
        image: photo('chelsea.png'),
        prompt: QUESTION,
        method,
        budget: { kind: 'ratio', ratio: 0.25 },
        maxNewTokens: 8,
      });
      // 2 x 2 crops + the global view: 720 prunable tokens and 37 separators (24 + 12 newlines, 1 separator).
      expect(result.scores).toHaveLength(720);
      expect(result.pruned.kept).toHaveLength(180);
      expect(result.full.counts.visualTokens).toBe(757);
      expect(result.pruned.counts.visualTokens).toBe(180 + 37);
      expect(result.grid.tiles).toHaveLength(5);
      expect(result.pruned.tokens).toHaveLength(8);
    },
  );

  it('keeping every token reproduces the full answer exactly', async () => {
    const result = await engine.compare({
      image: photo('chelsea.png'),
      prompt: QUESTION,
      method: 'vtc-cls',
      budget: { kind: 'ratio', ratio: 1 },
      maxNewTokens: 16,
    });
    expect(result.pruned.counts.visualTokens).toBe(757);
    expect(result.pruned.tokens).toEqual(result.full.tokens);
    expect(result.pruned.text).toBe(result.full.text);
  });

  it('keeps original positions across the separators', async () => {
    const base = { image: photo('chelsea.png'), prompt: QUESTION, method: 'vtc-cls' as const, maxNewTokens: 8 };
    const all = await engine.compare({ ...base, budget: { kind: 'ratio', ratio: 1 }, positions: 'original' });
    expect(all.pruned.tokens).toEqual(all.full.tokens);
    const quarter = await engine.compare({ ...base, budget: { kind: 'ratio', ratio: 0.25 }, positions: 'original' });
    const contiguous = await engine.compare({ ...base, budget: { kind: 'ratio', ratio: 0.25 } });
    expect(quarter.pruned.kept).toEqual(contiguous.pruned.kept);
    expect(quarter.pruned.tokens).not.toEqual(contiguous.pruned.tokens);
  });
});
