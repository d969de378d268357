import { describe, expect, it } from 'vitest';
import { gatherRows } from './gather';
import { pruneVisualTokens } from './prune';
import { HAND_TOKEN_SCORES, TWO_TILE_LAYOUT, attentionOf, handTiles } from '../test/pruning/inputs';

const attention = attentionOf('cls', 4, [[2, handTiles()]]);

describe('pruneVisualTokens', () => {
  it('scores, applies the budget and keeps the top tokens in original order', () => {
    const { kept, scores } = pruneVisualTokens({
      method: 'vtc-cls',
      budget: { kind: 'count', count: 3 },
      layout: TWO_TILE_LAYOUT,
      attention,
    });
    expect(Array.from(scores)).toEqual(HAND_TOKEN_SCORES);
    expect(Array.from(kept)).toEqual([1, 2, 3]);
  });

  it('applies a ratio and a per-tile floor across tiles', () => {
    const half = pruneVisualTokens({ method: 'vtc-cls', budget: { kind: 'ratio', ratio: 0.5 }, layout: TWO_TILE_LAYOUT, attention });
    expect(Array.from(half.kept)).toEqual([0, 1, 2, 3]);
    const floored = pruneVisualTokens({
      method: 'vtc-cls',
      budget: { kind: 'count', count: 3 },
      layout: TWO_TILE_LAYOUT,
      attention,
      perTileFloor: 1,
    });
    expect(Array.from(floored.kept)).toEqual([2, 3, 6]);
  });

  it('prunes a 13-tile SmolVLM image to a quarter and gathers those feature rows', () => {
    const layout = { tiles: 13, patchRows: 32, patchCols: 32, poolFactor: 4 };
    const { kept, scores } = pruneVisualTokens({ method: 'random', budget: { kind: 'ratio', ratio: 0.25 }, layout, seed: 11 });
    expect(scores.length).toBe(832);
    expect(kept.length).toBe(208);
    expect(kept.every((v, i) => i === 0 || v > kept[i - 1])).toBe(true);
    const dim = 3;
    const features = Float32Array.from({ length: 832 * dim }, (_, i) => Math.floor(i / dim));
    const rows = gatherRows(features, dim, kept);
    expect(Array.from(rows.filter((_, i) => i % dim === 0))).toEqual(Array.from(kept));
  });

  it('pools neighbours for pool: groups of source tokens, each anchored at its first token', () => {
    const layout = { tiles: 1, patchRows: 4, patchCols: 4, poolFactor: 1 };
    const { kept, groups } = pruneVisualTokens({ method: 'pool', budget: { kind: 'ratio', ratio: 0.25 }, layout });
    expect(Array.from(kept)).toEqual([0, 2, 8, 10]);
    expect(groups?.map((g) => Array.from(g))).toEqual([
      [0, 1, 4, 5],
      [2, 3, 6, 7],
      [8, 9, 12, 13],
      [10, 11, 14, 15],
    ]);
  });

  it('selects a diverse set for vtc-cls-diverse, from the features it is given', () => {
    // Tokens 0-3 of tile 0 score highest, but 0-2 show the same thing; token 4 (tile 1) something else.
    const values = Float32Array.from([1, 0, 1, 0, 1, 0, 1, 0.2, 0, 1, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7]);
    const req = { method: 'vtc-cls-diverse', budget: { kind: 'count', count: 2 }, layout: TWO_TILE_LAYOUT, attention } as const;
    expect(Array.from(pruneVisualTokens({ ...req, features: { values, dim: 2 } }).kept)).toEqual([3, 4]);
    expect(() => pruneVisualTokens(req)).toThrow(/vtc-cls-diverse compares the visual features, none were given/);
    expect(() => pruneVisualTokens({ ...req, features: { values, dim: 2 }, perTileFloor: 1 })).toThrow(
      /a per-tile floor applies to top-k selection, not to vtc-cls-diverse/,
    );
  });

  it('passes budget errors through', () => {
    expect(() => pruneVisualTokens({ method: 'uniform', budget: { kind: 'count', count: 9 }, layout: TWO_TILE_LAYOUT })).toThrow(
      /token budget 9 exceeds the 8 visual tokens/,
    );
  });
});
