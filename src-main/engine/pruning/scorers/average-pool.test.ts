import { describe, expect, it } from 'vitest';
import { TWO_TILE_LAYOUT } from '../../test/pruning/inputs';
import { poolScorer } from './average-pool';

describe('pool scorer', () => {
  it('reads nothing, ranks nothing and asks for the pooling selector', () => {
    expect(poolScorer.needs(24, {})).toEqual({ kind: 'none', layers: [] });
    expect(Array.from(poolScorer.score({ layout: TWO_TILE_LAYOUT, seed: 0, options: {} }))).toEqual(new Array(8).fill(0));
    expect(poolScorer.selector).toBe('pool');
  });
});
