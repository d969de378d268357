import { describe, expect, it } from 'vitest';
import { rankTokens, selectTopK } from './select';

const f32 = (xs: number[]) => Float32Array.from(xs);

describe('selectTopK', () => {
  it('keeps the k highest scores in original order', () => {
    expect(Array.from(selectTopK(f32([0.1, 0.9, 0.5, 0.7]), 2))).toEqual([1, 3]);
    expect(Array.from(selectTopK(f32([5, 1, 4, 2, 3]), 3))).toEqual([0, 2, 4]);
  });

  it('breaks ties by the lower index', () => {
    expect(Array.from(selectTopK(f32([1, 1, 1, 1]), 2))).toEqual([0, 1]);
    expect(Array.from(selectTopK(f32([0.5, 0.9, 0.9, 0.1]), 1))).toEqual([1]);
    expect(Array.from(rankTokens(f32([2, 3, 2, 3])))).toEqual([1, 3, 0, 2]);
  });

  it('handles k = 0 and k = all', () => {
    expect(Array.from(selectTopK(f32([3, 1, 2]), 0))).toEqual([]);
    expect(Array.from(selectTopK(f32([3, 1, 2]), 3))).toEqual([0, 1, 2]);
  });

  it('a per-tile floor takes the best tokens of a starved tile, and the total stays k', () => {
    const scores = f32([9, 8, 7, 6, 1, 2, 3, 0]);
    expect(Array.from(selectTopK(scores, 3, { tokensPerTile: 4 }))).toEqual([0, 1, 2]);
    expect(Array.from(selectTopK(scores, 3, { tokensPerTile: 4, perTileFloor: 1 }))).toEqual([0, 1, 6]);
    expect(Array.from(selectTopK(scores, 4, { tokensPerTile: 4, perTileFloor: 2 }))).toEqual([0, 1, 5, 6]);
    // Three tiles of two: the floor pulls one token from each, the rest follows the global order.
    expect(Array.from(selectTopK(f32([10, 9, 1, 2, 3, 4]), 4, { tokensPerTile: 2, perTileFloor: 1 }))).toEqual([0, 1, 3, 5]);
  });

  it('a floor already met changes nothing', () => {
    const scores = f32([9, 1, 8, 2]);
    expect(selectTopK(scores, 2, { tokensPerTile: 2, perTileFloor: 1 })).toEqual(selectTopK(scores, 2));
  });

  it('refuses bad k, floors and scores', () => {
    const scores = f32([9, 8, 7, 6, 1, 2, 3, 0]);
    expect(() => selectTopK(scores, 9)).toThrow(/cannot keep 9 of 8/);
    expect(() => selectTopK(scores, 2.5)).toThrow(/cannot keep 2.5 of 8/);
    expect(() => selectTopK(scores, -1)).toThrow(/cannot keep -1 of 8/);
    expect(() => selectTopK(scores, 3, { tokensPerTile: 4, perTileFloor: 2 })).toThrow(
      /floor of 2 tokens in each of 2 tiles needs 4, more than the budget of 3/,
    );
    expect(() => selectTopK(scores, 4, { perTileFloor: 1 })).toThrow(/needs tokensPerTile dividing the 8 tokens/);
    expect(() => selectTopK(scores, 4, { tokensPerTile: 3, perTileFloor: 1 })).toThrow(/needs tokensPerTile dividing/);
    expect(() => selectTopK(scores, 8, { tokensPerTile: 4, perTileFloor: 5 })).toThrow(/floor 5 exceeds the 4 tokens of a tile/);
    expect(() => selectTopK(scores, 4, { tokensPerTile: 4, perTileFloor: 1.5 })).toThrow(/whole number >= 0, got 1.5/);
    expect(() => selectTopK(f32([1, Number.NaN, 2]), 1)).toThrow(/token score 1 is NaN/);
  });
});
