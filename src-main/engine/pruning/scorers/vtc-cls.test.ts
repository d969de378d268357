import { describe, expect, it } from 'vitest';
import { HAND_TOKEN_SCORES, TWO_TILE_LAYOUT, attentionOf, constantTiles, handTiles } from '../../test/pruning/inputs';
import { vtcClsScorer } from './vtc-cls';

const ctx = (attention: ReturnType<typeof attentionOf> | undefined) => ({ attention, layout: TWO_TILE_LAYOUT, seed: 0, options: {} });

describe('vtc-cls scorer', () => {
  it('needs the [CLS] row of the penultimate layer', () => {
    expect(vtcClsScorer.needs(24, {})).toEqual({ kind: 'cls', layers: [22] });
    expect(vtcClsScorer.needs(12, {})).toEqual({ kind: 'cls', layers: [10] });
  });

  it('scores tokens by the pooled penultimate-layer [CLS] attention only', () => {
    const attention = attentionOf('cls', 4, [
      [1, constantTiles(100)],
      [2, handTiles()],
      [3, constantTiles(-100)],
    ]);
    expect(Array.from(vtcClsScorer.score(ctx(attention)))).toEqual(HAND_TOKEN_SCORES);
  });

  it('explains what is missing', () => {
    expect(() => vtcClsScorer.score(ctx(undefined))).toThrow(/vtc-cls needs attention scores from the vision encoder/);
    expect(() => vtcClsScorer.score(ctx(attentionOf('received', 4, [[2, handTiles()]])))).toThrow(/has no \[CLS\] token .*use 'received'/);
    expect(() => vtcClsScorer.score(ctx(attentionOf('cls', 4, [[1, handTiles()]])))).toThrow(/encoder layer 2, which was not captured/);
    expect(() => vtcClsScorer.needs(1, {})).toThrow(/at least 2 layers/);
  });
});
