import { describe, expect, it } from 'vitest';
import { TWO_TILE_LAYOUT } from '../../test/pruning/inputs';
import { fastvScorer } from './fastv';

describe('fastv scorer', () => {
  it("needs the last prompt token's attention at LLM layer 1 (K = 2) and no encoder attention", () => {
    expect(fastvScorer.needs(24, {})).toEqual({ kind: 'none', layers: [], llm: { layer: 1, from: 'last-token' } });
  });

  it('scores each visual token by that attention', () => {
    const llmAttention = Float32Array.from([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]);
    expect(fastvScorer.score({ llmAttention, layout: TWO_TILE_LAYOUT, seed: 0, options: {} })).toEqual(llmAttention);
  });

  it('says what is missing or does not fit', () => {
    expect(() => fastvScorer.score({ layout: TWO_TILE_LAYOUT, seed: 0, options: {} })).toThrow(/fastv needs the LLM's attention/);
    expect(() => fastvScorer.score({ llmAttention: new Float32Array(3), layout: TWO_TILE_LAYOUT, seed: 0, options: {} })).toThrow(
      /for 3 visual tokens, the image has 8/,
    );
  });
});
