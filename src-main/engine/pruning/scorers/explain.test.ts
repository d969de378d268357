import { describe, expect, it } from 'vitest';
import { TWO_TILE_LAYOUT } from '../../test/pruning/inputs';
import { explainScorer } from './explain';

describe('explain scorer', () => {
  it("needs the first LLM layer's attention from the instruction and the token compressor", () => {
    expect(explainScorer.needs(24, {})).toEqual({ kind: 'none', layers: [], llm: { layer: 0, from: 'instruction' }, compressor: true });
  });

  it("ranks by the compressor's scores, not by the raw attention", () => {
    const ctx = { layout: TWO_TILE_LAYOUT, seed: 0, options: {} };
    const compressorScores = Float32Array.from([8, 7, 6, 5, 4, 3, 2, 1]);
    const llmAttention = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(explainScorer.score({ ...ctx, llmAttention, compressorScores })).toEqual(compressorScores);
    expect(() => explainScorer.score({ ...ctx, llmAttention })).toThrow(/explain needs the token compressor's scores, none was given/);
  });
});
