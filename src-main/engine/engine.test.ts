import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CompareResult } from '../../src-shared/api';
import { engineErrorOf } from './test/engine-errors';
import { Engine } from './engine';
import { fixtureDir, photo } from './test/paths';

const MODEL = fixtureDir('tiny-smolvlm');
const CHELSEA = photo('chelsea.png'); // 3x4 tiles + global = 13 tiles of 64 tokens
const VISUAL = 13 * 64;
const QUESTION = 'What is in this photo?';
const TOKENS = 4;

const tmp = mkdtempSync(join(tmpdir(), 'vtc-engine-'));
const previousDataDir = process.env.VTC_DATA_DIR;
let engine: Engine;

beforeAll(async () => {
  // The instrumented encoder graph goes under the data folder when no graphCacheDir is given.
  process.env.VTC_DATA_DIR = join(tmp, 'data');
  engine = await Engine.load(MODEL, { cacheDir: join(tmp, 'photo-cache'), threads: 1 });
});
afterAll(async () => {
  await engine?.dispose();
  if (previousDataDir === undefined) delete process.env.VTC_DATA_DIR;
  else process.env.VTC_DATA_DIR = previousDataDir;
  rmSync(tmp, { recursive: true, force: true });
});

const compareOn = (image: string, extra: Partial<Parameters<Engine['compare']>[0]> = {}) =>
  engine.compare({ image, prompt: QUESTION, method: 'received', budget: { kind: 'ratio', ratio: 0.25 }, maxNewTokens: TOKENS, ...extra });

describe('Engine.load', () => {
  it('loads the fixture on cpu with its fp32 graphs, and instruments no graph before a method reads attention', () => {
    expect(engine.modelId).toBe('tiny-smolvlm');
    expect(engine.ep).toBe('cpu');
    expect(engine.variants).toEqual({ vision_encoder: 'fp32', embed_tokens: 'fp32', decoder_model_merged: 'fp32' });
    // Only the decoder with last-position logits is derived at load.
    expect(readdirSync(join(tmp, 'data', 'cache', 'graphs'))).toEqual([expect.stringMatching(/^[0-9a-f]{64}-last-token-logits\.onnx$/)]);
  });

  it.each([
    [{ variant: 'q8' }, 'VARIANT_MISSING', "unknown variant 'q8' (known: fp32, fp16, int8, uint8, quantized, q4, q4f16, bnb4)"],
    [{ variant: 'q4' }, 'VARIANT_MISSING', "variant 'q4' of onnx/vision_encoder_q4.onnx is not in the model folder (available: fp32)"],
    [{ ep: 'tpu' as never }, 'PROVIDER_UNAVAILABLE', "unknown execution provider 'tpu' (known: cpu, cuda, dml, coreml, webgpu)"],
  ])('refuses %j before opening any session', async (options, code, message) => {
    const e = await engineErrorOf(Engine.load(MODEL, options));
    expect([e.code, e.message]).toEqual([code, message]);
  });

  it('reports a missing model folder', async () => {
    const e = await engineErrorOf(Engine.load(join(tmp, 'no-model')));
    expect([e.code, e.message]).toEqual(['FILE_NOT_FOUND', `model folder not found: ${join(tmp, 'no-model')}`]);
  });
});

describe('ask', () => {
  it('answers with exactly maxNewTokens tokens, streaming deltas that add up to the text', async () => {
    const deltas: string[] = [];
    const answer = await engine.ask({ image: CHELSEA, prompt: QUESTION, maxNewTokens: TOKENS, onToken: (t) => deltas.push(t) });
    expect(answer.tokens).toHaveLength(TOKENS);
    expect(answer.text.length).toBeGreaterThan(0);
    expect(deltas.join('')).toBe(answer.text);
    expect(answer.counts).toMatchObject({ visualTokens: VISUAL, generatedTokens: TOKENS });
    expect(answer.counts.promptTokens).toBeGreaterThan(VISUAL);
    // fixture text model: 2 layers x (key, value) x 2 heads x 8 x 4 bytes per cached token
    expect(answer.counts.kvCacheBytes).toBe(2 * 2 * 2 * 8 * 4 * (answer.counts.promptTokens + TOKENS - 1));
    const t = answer.timings;
    expect(t.decodeTokens).toBe(TOKENS - 1);
    expect(t.totalMs).toBeCloseTo(t.preprocessMs + t.visionMs + t.embedMs + t.prefillMs + t.decodeMs, 6);
  });

  it('is deterministic when greedy, and reproducible when sampled with a seed', async () => {
    const params = { image: CHELSEA, prompt: QUESTION, maxNewTokens: 6 };
    const [a, b] = [await engine.ask(params), await engine.ask(params)];
    expect(a.tokens).toEqual(b.tokens);
    const sampled = (seed: number) => engine.ask({ ...params, sampling: { temperature: 1.5, seed } });
    const [s1, s2, s3] = [await sampled(3), await sampled(3), await sampled(4)];
    expect(s1.tokens).toEqual(s2.tokens);
    expect(s1.tokens).not.toEqual(s3.tokens);
  });

  it('grows the prompt with the history of a multi-turn chat', async () => {
    const first = await engine.ask({ image: CHELSEA, prompt: QUESTION, maxNewTokens: 2 });
    const followUp = await engine.ask({
      image: CHELSEA,
      prompt: 'And what colour is it?',
      history: [
        { role: 'user', text: QUESTION },
        { role: 'assistant', text: first.text },
      ],
      maxNewTokens: 2,
    });
    expect(followUp.counts.visualTokens).toBe(VISUAL);
    expect(followUp.counts.promptTokens).toBeGreaterThan(first.counts.promptTokens + 5);
  });

  it('stops with CANCELLED when aborted while answering', async () => {
    const controller = new AbortController();
    let seen = 0;
    const e = await engineErrorOf(
      engine.ask({
        image: CHELSEA,
        prompt: QUESTION,
        maxNewTokens: 50,
        signal: controller.signal,
        onToken: () => {
          if (++seen === 1) controller.abort();
        },
      }),
    );
    expect(e.code).toBe('CANCELLED');
    expect(seen).toBe(1);
  });

  it.each([
    [{ prompt: '   ' }, 'BAD_ARGUMENT', 'the question is empty'],
    [{ prompt: 'where is <image>?' }, 'BAD_ARGUMENT', 'the text may not contain the reserved token <image>'],
    [{ maxNewTokens: 0 }, 'BAD_ARGUMENT', 'maxNewTokens must be a whole number of at least 1, got 0'],
    [{ image: '/nonexistent/photo.jpg' }, 'FILE_NOT_FOUND', 'image not found: /nonexistent/photo.jpg'],
  ])('refuses %j', async (bad, code, message) => {
    const e = await engineErrorOf(engine.ask({ image: CHELSEA, prompt: QUESTION, maxNewTokens: 2, ...bad }));
    expect([e.code, e.message]).toEqual([code, message]);
  });
});

describe('compare', () => {
  let result: CompareResult;
  const deltas = { full: [] as string[], pruned: [] as string[] };
  // Stages and the side of each token, in the order they came.
  const timeline: string[] = [];
  beforeAll(async () => {
    result = await compareOn(CHELSEA, {
      onToken: (side, t) => {
        deltas[side].push(t);
        if (timeline.at(-1) !== `${side} tokens`) timeline.push(`${side} tokens`);
      },
      onStage: (s) =>
        timeline.push('side' in s ? `${s.stage} ${s.side}` : s.stage === 'encoding' ? `encoding ${s.done}/${s.total}` : s.stage),
    });
  });

  it('reports its stages: the photo once, then the pruned side before the full one', () => {
    // The fixture's cache is empty for this photo and method: it is read and encoded, one tile per run.
    const encoding = Array.from({ length: 14 }, (_, i) => `encoding ${i}/13`);
    expect(timeline).toEqual([
      'reading',
      ...encoding,
      'ranking',
      'prefill pruned',
      'pruned tokens',
      'answered pruned',
      'prefill full',
      'full tokens',
      'answered full',
    ]);
  });

  it('keeps exactly the resolved budget, ascending and unique', () => {
    const { kept } = result.pruned;
    expect(kept).toHaveLength(VISUAL / 4);
    expect(result.pruned.counts.visualTokens).toBe(VISUAL / 4);
    expect(result.full.counts.visualTokens).toBe(VISUAL);
    expect(kept.every((k, i) => Number.isInteger(k) && k >= 0 && k < VISUAL && (i === 0 || k > kept[i - 1]))).toBe(true);
    expect(result.pruned.method).toBe('received');
  });

  it('keeps the highest-scoring tokens', () => {
    expect(result.scores).toHaveLength(VISUAL);
    const keptSet = new Set(result.pruned.kept);
    const lowestKept = Math.min(...result.pruned.kept.map((k) => result.scores[k]));
    const highestDropped = Math.max(...result.scores.filter((_, i) => !keptSet.has(i)));
    expect(lowestKept).toBeGreaterThanOrEqual(highestDropped);
  });

  it('shortens the prompt by exactly the dropped visual tokens', () => {
    expect(result.full.counts.promptTokens - result.pruned.counts.promptTokens).toBe(VISUAL - VISUAL / 4);
    expect(result.pruned.counts.kvCacheBytes).toBeLessThan(result.full.counts.kvCacheBytes);
  });

  it('streams each side separately, each adding up to its text', () => {
    expect(deltas.full.join('')).toBe(result.full.text);
    expect(deltas.pruned.join('')).toBe(result.pruned.text);
    expect(result.full.tokens).toHaveLength(TOKENS);
    expect(result.pruned.tokens).toHaveLength(TOKENS);
  });

  it('describes the token grid of the photo', () => {
    expect(result.grid.tiles).toHaveLength(13);
    expect(result.grid.tiles.reduce((n, t) => n + t.rows * t.cols, 0)).toBe(VISUAL);
  });

  it('gives the same full answer as ask, and the same pruned answer as askPruned', async () => {
    const full = await engine.ask({ image: CHELSEA, prompt: QUESTION, maxNewTokens: TOKENS });
    expect(full.tokens).toEqual(result.full.tokens);
    const pruned = await engine.askPruned({
      image: CHELSEA,
      prompt: QUESTION,
      method: 'received',
      budget: { kind: 'ratio', ratio: 0.25 },
      maxNewTokens: TOKENS,
    });
    expect(pruned.kept).toEqual(result.pruned.kept);
    expect(pruned.tokens).toEqual(result.pruned.tokens);
    expect(pruned.scores).toEqual(result.scores);
  });

  it("keeps each token's position with positions 'original': same tokens kept, same prompt length, another answer", async () => {
    const original = await compareOn(CHELSEA, { positions: 'original' });
    expect(original.pruned.kept).toEqual(result.pruned.kept);
    expect(original.pruned.counts.promptTokens).toBe(result.pruned.counts.promptTokens);
    expect(original.pruned.tokens).toHaveLength(TOKENS);
    expect(original.full.tokens).toEqual(result.full.tokens);
    expect(original.pruned.tokens).not.toEqual(result.pruned.tokens);
  });

  it.each(['contiguous', 'original'] as const)('answers exactly as in full when keeping every token (positions %s)', async (positions) => {
    const all = await compareOn(CHELSEA, { budget: { kind: 'ratio', ratio: 1 }, positions });
    expect(all.pruned.kept).toEqual(Array.from({ length: VISUAL }, (_, i) => i));
    expect(all.pruned.counts.promptTokens).toBe(all.full.counts.promptTokens);
    expect(all.pruned.tokens).toEqual(all.full.tokens);
  });

  it('takes a token count as the budget', async () => {
    const r = await compareOn(CHELSEA, { budget: { kind: 'count', count: 100 }, maxNewTokens: 1 });
    expect(r.pruned.kept).toHaveLength(100);
    expect(r.full.counts.promptTokens - r.pruned.counts.promptTokens).toBe(VISUAL - 100);
  });

  it('draws the same random set for the same seed and another for another seed', async () => {
    const random = (seed: number) => compareOn(CHELSEA, { method: 'random', seed, maxNewTokens: 1 });
    const [a, b, c] = [await random(1), await random(1), await random(2)];
    expect(a.pruned.kept).toEqual(b.pruned.kept);
    expect(a.pruned.kept).not.toEqual(c.pruned.kept);
    expect(c.pruned.kept).toHaveLength(VISUAL / 4);
  });

  it('averages 2x2 neighbours for pool at a quarter: one token per window, timed as ranking', async () => {
    const r = await compareOn(CHELSEA, { method: 'pool', maxNewTokens: 1 });
    expect(r.pruned.counts.visualTokens).toBe(VISUAL / 4);
    expect(r.full.counts.promptTokens - r.pruned.counts.promptTokens).toBe(VISUAL - VISUAL / 4);
    expect(r.pruned.kept.slice(0, 5)).toEqual([0, 2, 4, 6, 16]);
    expect(r.pruned.timings.rankMs).toBeGreaterThanOrEqual(0);
    expect(r.full.timings.rankMs).toBeUndefined();
  });

  it('keeps at least perTileFloor tokens of every tile', async () => {
    const r = await compareOn(CHELSEA, { budget: { kind: 'count', count: 13 * 3 }, perTileFloor: 3, maxNewTokens: 1 });
    const perTile = new Array(13).fill(0);
    for (const k of r.pruned.kept) perTile[Math.floor(k / 64)]++;
    expect(perTile).toEqual(new Array(13).fill(3));
  });

  it('refuses vtc-cls on SmolVLM, whose SigLIP encoder has no [CLS] token', async () => {
    const e = await engineErrorOf(compareOn(CHELSEA, { method: 'vtc-cls' }));
    expect(e.code).toBe('BAD_ARGUMENT');
    expect(e.message).toMatch(/vtc-cls needs \[CLS\] attention, but this vision encoder has no \[CLS\] token.*'received'/);
  });

  it.each([
    [{ kind: 'ratio', ratio: 1.5 }, 'token ratio must be in (0, 1], got 1.5'],
    [{ kind: 'count', count: 0 }, 'token budget must be at least 1, got 0'],
    [{ kind: 'count', count: VISUAL + 1 }, `token budget ${VISUAL + 1} exceeds the ${VISUAL} visual tokens of this image`],
  ] as const)('refuses the budget %j', async (budget, message) => {
    let streamed = 0;
    const e = await engineErrorOf(compareOn(CHELSEA, { budget, onToken: () => streamed++ }));
    expect([e.code, e.message]).toEqual(['BAD_BUDGET', message]);
    expect(streamed).toBe(0);
  });

  it('keeps the graph instrumented for the penultimate layer of received attention in the data folder', async () => {
    await compareOn(CHELSEA, { maxNewTokens: 1 });
    const graphs = readdirSync(join(tmp, 'data', 'cache', 'graphs'));
    // SigLIP in the fixture has 2 layers: received reads the penultimate, layer 0, and only it.
    expect(graphs.filter((g) => !g.endsWith('-last-token-logits.onnx'))).toEqual([
      expect.stringMatching(/^[0-9a-f]{64}-received-no-cls-0-b2\.onnx$/),
    ]);
  });

  it('scores a photo once: a full question caches features without scores, the first pruned one adds them', async () => {
    const photoPath = photo('astronaut.png');
    const full = await engine.ask({ image: photoPath, prompt: QUESTION, maxNewTokens: 1 });
    expect(full.visionCached).toBe(false);
    const random = await compareOn(photoPath, { method: 'random', maxNewTokens: 1 });
    expect(random.full.visionCached).toBe(true);
    const scored = await compareOn(photoPath, { maxNewTokens: 1 });
    expect(scored.full.visionCached).toBe(false);
    expect(scored.full.tokens).toEqual(full.tokens);
    const again = await compareOn(photoPath, { maxNewTokens: 1 });
    expect([again.full.visionCached, again.scores]).toEqual([true, scored.scores]);
    expect((await engine.ask({ image: photoPath, prompt: QUESTION, maxNewTokens: 1 })).visionCached).toBe(true);
  });

  it('encodes a photo once: the second compare takes features from the cache and answers the same', async () => {
    const rocket = photo('rocket.jpg');
    const first = await compareOn(rocket);
    const second = await compareOn(rocket);
    expect([first.full.visionCached, first.pruned.visionCached]).toEqual([false, false]);
    expect(first.full.timings.visionMs).toBeGreaterThan(0);
    expect([second.full.visionCached, second.pruned.visionCached]).toEqual([true, true]);
    expect([second.full.timings.visionMs, second.pruned.timings.visionMs]).toEqual([0, 0]);
    expect(second.full.tokens).toEqual(first.full.tokens);
    expect(second.pruned.tokens).toEqual(first.pruned.tokens);
    expect(second.pruned.kept).toEqual(first.pruned.kept);
    expect(second.scores).toEqual(first.scores);
    // The answer depends on the photo: rocket and chelsea differ.
    expect(first.full.tokens).not.toEqual(result.full.tokens);
  });
});

describe('prompt cache', () => {
  let uncached: Engine;
  beforeAll(async () => {
    uncached = await Engine.load(MODEL, { cacheDir: join(tmp, 'photo-cache'), threads: 1, promptCacheMaxBytes: 0 });
  });
  afterAll(async () => {
    await uncached?.dispose();
  });

  it('answers other questions, a follow-up and a compare on one photo as without it, prefilling the photo once per side', async () => {
    const image = photo('coffee.png');
    const questions = [
      { image, prompt: QUESTION, maxNewTokens: TOKENS },
      { image, prompt: 'What colour is the cup?', maxNewTokens: TOKENS },
      {
        image,
        prompt: 'And what else?',
        history: [
          { role: 'user' as const, text: QUESTION },
          { role: 'assistant' as const, text: 'A cup of coffee.' },
        ],
        maxNewTokens: TOKENS,
      },
    ];
    const held = [engine.promptCacheBytes];
    for (const q of questions) {
      expect((await engine.ask(q)).tokens).toEqual((await uncached.ask(q)).tokens);
      held.push(engine.promptCacheBytes);
    }
    // fixture text model: 2 layers x (key, value) x 2 heads x 8 x 4 bytes per cached token.
    const perToken = 2 * 2 * 2 * 8 * 4;
    const first = held[1] - held[0];
    expect(first % perToken).toBe(0);
    expect(first / perToken).toBeGreaterThan(VISUAL);
    // The second question and the follow-up found the photo's prompt there and added nothing.
    expect(held.slice(2)).toEqual([held[1], held[1]]);

    const pair = {
      image,
      prompt: 'Is it hot?',
      method: 'received' as const,
      budget: { kind: 'ratio' as const, ratio: 0.25 },
      maxNewTokens: TOKENS,
    };
    const [withCache, without] = [await engine.compare(pair), await uncached.compare(pair)];
    expect([withCache.full.tokens, withCache.pruned.tokens]).toEqual([without.full.tokens, without.pruned.tokens]);
    // Only the pruned side's shorter prompt is new.
    const pruned = (engine.promptCacheBytes - held[1]) / perToken;
    expect(pruned).toBeGreaterThan(VISUAL / 4);
    expect(pruned).toBeLessThan(first / perToken - VISUAL / 2);
    expect(uncached.promptCacheBytes).toBe(0);
    engine.clearPromptCache();
    expect(engine.promptCacheBytes).toBe(0);
  });
});

describe('warmUp', () => {
  // The cache folder appears with the first photo cached (absent when this test runs alone).
  const cacheFiles = () => (existsSync(join(tmp, 'photo-cache')) ? readdirSync(join(tmp, 'photo-cache'), { recursive: true }).length : 0);

  it('runs a synthetic question on each family and keeps nothing of it in either cache', async () => {
    const llava = await Engine.load(fixtureDir('tiny-llava'), { cacheDir: join(tmp, 'photo-cache'), threads: 1 });
    try {
      for (const e of [engine, llava]) {
        const [prompts, files] = [e.promptCacheBytes, cacheFiles()];
        await e.warmUp();
        expect([e.promptCacheBytes, cacheFiles()]).toEqual([prompts, files]);
      }
    } finally {
      await llava.dispose();
    }
  });

  it('leaves the answers as they were', async () => {
    const params = { image: photo('camera.png'), prompt: QUESTION, maxNewTokens: TOKENS };
    const cold = await Engine.load(MODEL, { cacheDir: join(tmp, 'cold-cache'), threads: 1 });
    const warm = await Engine.load(MODEL, { cacheDir: join(tmp, 'warm-cache'), threads: 1 });
    try {
      await warm.warmUp();
      expect((await warm.ask(params)).tokens).toEqual((await cold.ask(params)).tokens);
    } finally {
      await Promise.all([cold.dispose(), warm.dispose()]);
    }
  });
});
