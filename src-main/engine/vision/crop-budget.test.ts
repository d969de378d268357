import { describe, expect, it } from 'vitest';
import type { PhotoLayout } from '../families/family';
import { checkCropBudget, cropImportance, cropsToKeep, keepCrops, topCrops } from './crop-budget';

// 2 x 2 crops over a 4 x 4 patch global view: each crop's region is one 2 x 2 block of patches.
const QUARTERS = [
  { x: 0, y: 0, width: 0.5, height: 0.5 },
  { x: 0.5, y: 0, width: 0.5, height: 0.5 },
  { x: 0, y: 0.5, width: 0.5, height: 0.5 },
  { x: 0.5, y: 0.5, width: 0.5, height: 0.5 },
];

describe('crop budget', () => {
  it('weighs each crop by the global patch scores inside its region', () => {
    // prettier-ignore
    const scores = Float32Array.from([
      1, 2, 0, 0,
      3, 4, 0, 1,
      0, 0, 5, 0,
      0, 0, 0, 0,
    ]);
    expect(Array.from(cropImportance(scores, 4, 4, QUARTERS))).toEqual([10, 1, 0, 5]);
  });

  it('refuses scores that are not the global view grid', () => {
    expect(() => cropImportance(new Float32Array(15), 4, 4, QUARTERS)).toThrow(/15 patch scores, not 4 x 4/);
  });

  it('keeps the most important crops in their own order, the earlier one on a tie', () => {
    expect(topCrops(Float64Array.from([10, 1, 0, 5]), 2)).toEqual([0, 3]);
    expect(topCrops(Float64Array.from([1, 3, 3, 3]), 2)).toEqual([1, 2]);
  });

  it('rounds the share of crops kept and keeps at least one', () => {
    expect(cropsToKeep(0.5, 12)).toBe(6);
    expect(cropsToKeep(0.5, 9)).toBe(5);
    expect(cropsToKeep(0.01, 12)).toBe(1);
    expect(cropsToKeep(1, 12)).toBe(12);
  });

  it('lays out the kept crops and the global view, which the prompt then spells', () => {
    const tile = (x: number, y: number, global = false) => ({
      x,
      y,
      width: global ? 1 : 0.5,
      height: global ? 1 : 0.5,
      rows: 8,
      cols: 8,
      global,
    });
    const layout: PhotoLayout = {
      tiles: 5,
      tokensPerTile: 64,
      patchRows: 32,
      patchCols: 32,
      poolFactor: 4,
      rows: 2,
      cols: 2,
      grid: { tiles: [tile(0, 0), tile(0.5, 0), tile(0, 0.5), tile(0.5, 0.5), tile(0, 0, true)] },
    };
    const kept = keepCrops(layout, [1, 2]);
    expect(kept).toMatchObject({ tiles: 3, rows: 2, cols: 2, keptCrops: [1, 2] });
    expect(kept.grid.tiles).toEqual([tile(0.5, 0), tile(0, 0.5), tile(0, 0, true)]);
    expect(() => keepCrops({ ...layout, tiles: 4 }, [0])).toThrow(/4 tiles is not 2 x 2 crops/);
  });

  it('checks the budget: a fraction in (0, 1] and a known way to choose', () => {
    expect(checkCropBudget({ fraction: 0.5, select: 'downsample' })).toEqual({ fraction: 0.5, select: 'downsample' });
    expect(() => checkCropBudget({ fraction: 0, select: 'attention' })).toThrow(/fraction in \(0, 1\], got 0/);
    expect(() => checkCropBudget({ fraction: 1.5, select: 'attention' })).toThrow(/got 1.5/);
    expect(() => checkCropBudget({ fraction: 0.5, select: 'largest' as 'attention' })).toThrow(/attention, downsample, got 'largest'/);
  });
});
