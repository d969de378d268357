import { describe, expect, it } from 'vitest';
import { averageRows, poolGroups, poolWindow } from './merge-pool';

describe('poolWindow', () => {
  it('is 1x2 for a half, 2x2 for a quarter, 3x3 for a ninth and 1x1 for everything', () => {
    expect(poolWindow(256, 128)).toEqual({ rows: 1, cols: 2 });
    expect(poolWindow(256, 64)).toEqual({ rows: 2, cols: 2 });
    expect(poolWindow(256, 28)).toEqual({ rows: 3, cols: 3 });
    expect(poolWindow(256, 256)).toEqual({ rows: 1, cols: 1 });
  });

  it('refuses a budget outside 1..total', () => {
    expect(() => poolWindow(10, 0)).toThrow(/cannot keep 0 of 10/);
    expect(() => poolWindow(10, 11)).toThrow(/cannot keep 11 of 10/);
  });
});

describe('poolGroups', () => {
  it('groups 2x2 neighbours of each tile, tile-major, windows in raster order', () => {
    const layout = { tiles: 2, patchRows: 4, patchCols: 4, poolFactor: 1 };
    const groups = poolGroups(layout, 8);
    expect(groups.map((g) => Array.from(g))).toEqual([
      [0, 1, 4, 5],
      [2, 3, 6, 7],
      [8, 9, 12, 13],
      [10, 11, 14, 15],
      [16, 17, 20, 21],
      [18, 19, 22, 23],
      [24, 25, 28, 29],
      [26, 27, 30, 31],
    ]);
  });

  it('gives the right and bottom edges what is left of a 3x3 window on a 16x16 grid', () => {
    const groups = poolGroups({ tiles: 1, patchRows: 16, patchCols: 16, poolFactor: 1 }, 28);
    expect(groups.length).toBe(36);
    expect(groups.map((g) => g.length).reduce((a, b) => a + b, 0)).toBe(256);
    expect(Array.from(groups[5])).toEqual([15, 31, 47]);
    expect(Array.from(groups[35])).toEqual([255]);
  });
});

describe('averageRows', () => {
  it('averages the feature rows of each group', () => {
    const features = Float32Array.from([0, 10, 2, 20, 4, 30, 6, 40]);
    expect(Array.from(averageRows(features, 2, [Int32Array.from([0, 1]), Int32Array.from([1, 2, 3])]))).toEqual([1, 15, 4, 30]);
  });

  it('refuses empty groups, rows outside the features and a dim that does not divide them', () => {
    const features = new Float32Array(8);
    expect(() => averageRows(features, 2, [new Int32Array(0)])).toThrow(/pooled token 0 has no source tokens/);
    expect(() => averageRows(features, 2, [Int32Array.from([4])])).toThrow(/reads row 4, outside the 4 feature rows/);
    expect(() => averageRows(features, 3, [])).toThrow(/8 feature values do not split into rows of 3/);
  });
});
