import { describe, expect, it } from 'vitest';
import type { TokenGrid } from '../../src-shared/api';
import { heatColor, heatmapCells } from './heatmap';

// Two side-by-side crops of 1x2 tokens, then a 2x2 global view: 8 tokens in all.
const grid: TokenGrid = {
  tiles: [
    { x: 0, y: 0, width: 0.5, height: 1, rows: 1, cols: 2, global: false },
    { x: 0.5, y: 0, width: 0.5, height: 1, rows: 1, cols: 2, global: false },
    { x: 0, y: 0, width: 1, height: 1, rows: 2, cols: 2, global: true },
  ],
};
const scores = [1, 3, 5, 2, 0.1, 0.4, 0.3, 0.2];

describe('heatmapCells', () => {
  it('lays crop tokens out in raster order inside their tile and normalises over the crops', () => {
    const cells = heatmapCells(grid, scores, [1, 2], 'crops');
    expect(cells.map((c) => c.index)).toEqual([0, 1, 2, 3]);
    expect(cells[1]).toMatchObject({ x: 0.25, y: 0, width: 0.25, height: 1, kept: true });
    expect(cells[2]).toMatchObject({ x: 0.5, kept: true, level: 1 });
    expect(cells[0]).toMatchObject({ kept: false, level: 0 });
    expect(cells[3].level).toBeCloseTo(0.25);
  });

  it('indexes the global view after the crops', () => {
    const cells = heatmapCells(grid, scores, [5], 'global');
    expect(cells.map((c) => c.index)).toEqual([4, 5, 6, 7]);
    expect(cells[3]).toMatchObject({ x: 0.5, y: 0.5, width: 0.5, height: 0.5 });
    expect(cells.filter((c) => c.kept).map((c) => c.index)).toEqual([5]);
    expect(cells[1].level).toBe(1);
  });

  it('falls back to the global view when the image was not split into crops', () => {
    const single: TokenGrid = { tiles: [{ x: 0, y: 0, width: 1, height: 1, rows: 1, cols: 2, global: true }] };
    expect(heatmapCells(single, [2, 2], [], 'crops').map((c) => c.level)).toEqual([1, 1]);
  });

  it('refuses scores that do not match the grid', () => {
    expect(() => heatmapCells(grid, [1, 2, 3], [], 'crops')).toThrow(/8 visual tokens but 3 scores/);
  });
});

describe('heatColor', () => {
  it('runs from near black to pale yellow and clamps out-of-range input', () => {
    expect(heatColor(0)).toEqual([0, 0, 4]);
    expect(heatColor(1)).toEqual([252, 255, 164]);
    expect(heatColor(-3)).toEqual(heatColor(0));
    expect(heatColor(7)).toEqual(heatColor(1));
    expect(heatColor(Number.NaN)).toEqual(heatColor(0));
  });

  it('gets brighter as importance grows', () => {
    const brightness = (t: number) => heatColor(t).reduce((a, b) => a + b, 0);
    for (let i = 0; i < 10; i++) expect(brightness((i + 1) / 10)).toBeGreaterThan(brightness(i / 10));
  });
});
