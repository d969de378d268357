import { describe, expect, it } from 'vitest';
import { HAND_TOKEN_SCORES, TWO_TILE_LAYOUT, attentionOf, handTiles } from '../../test/pruning/inputs';
import { vtcClsDiverseScorer } from './vtc-cls-diverse';

describe('vtc-cls-diverse scorer', () => {
  it("scores as vtc-cls (the penultimate layer's [CLS] row) and selects for diversity", () => {
    expect(vtcClsDiverseScorer.needs(24, {})).toEqual({ kind: 'cls', layers: [22] });
    const attention = attentionOf('cls', 4, [[2, handTiles()]]);
    expect(Array.from(vtcClsDiverseScorer.score({ attention, layout: TWO_TILE_LAYOUT, seed: 0, options: {} }))).toEqual(HAND_TOKEN_SCORES);
    expect(vtcClsDiverseScorer.selector).toBe('diverse');
  });
});
