import { describe, expect, it } from 'vitest';
import { selectTopK } from '../select';
import { spreadRanks, uniformScorer } from './uniform';

/** Cells of a rows x cols grid whose rank is below n, as [row, col]. */
function firstCells(ranks: Int32Array, cols: number, n: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  ranks.forEach((rank, cell) => {
    if (rank < n) out.push([Math.floor(cell / cols), cell % cols]);
  });
  return out;
}

/** True when the cells fall one in each blockRows x blockCols block of the grid. */
function oneInEachBlock(cells: Array<[number, number]>, blockRows: number, blockCols: number, blocksPerRow: number): boolean {
  const blocks = new Set(cells.map(([r, c]) => Math.floor(r / blockRows) * blocksPerRow + Math.floor(c / blockCols)));
  return blocks.size === cells.length;
}

describe('spreadRanks', () => {
  it.each([
    [8, 8],
    [12, 12],
    [4, 8],
    [1, 1],
    [3, 5],
  ])('ranks every cell of a %ix%i grid exactly once', (rows, cols) => {
    const ranks = Array.from(spreadRanks(rows, cols)).sort((a, b) => a - b);
    expect(ranks).toEqual(Array.from({ length: rows * cols }, (_, i) => i));
  });

  it('puts the first 4 in different quadrants and the first 16 in different 2x2 blocks of an 8x8 grid', () => {
    const ranks = spreadRanks(8, 8);
    expect(oneInEachBlock(firstCells(ranks, 8, 4), 4, 4, 2)).toBe(true);
    expect(oneInEachBlock(firstCells(ranks, 8, 16), 2, 2, 4)).toBe(true);
  });

  it('spreads a 12x12 (non power of two) grid the same way: 4 per 6x6 quadrant, 16 per 3x3 block', () => {
    const ranks = spreadRanks(12, 12);
    expect(oneInEachBlock(firstCells(ranks, 12, 4), 6, 6, 2)).toBe(true);
    expect(oneInEachBlock(firstCells(ranks, 12, 16), 3, 3, 4)).toBe(true);
  });

  it('starts near the middle of the blocks, not in a corner', () => {
    expect(firstCells(spreadRanks(8, 8), 8, 4)).toEqual([
      [2, 2],
      [2, 6],
      [6, 2],
      [6, 6],
    ]);
  });
});

describe('uniform scorer', () => {
  it('keeps the same share of every tile, spread within each', () => {
    const layout = { tiles: 2, patchRows: 32, patchCols: 32, poolFactor: 4 };
    expect(uniformScorer.needs(12, {})).toEqual({ kind: 'none', layers: [] });
    const kept = Array.from(selectTopK(uniformScorer.score({ layout, seed: 0, options: {} }), 8));
    const tile0 = kept.filter((i) => i < 64);
    const tile1 = kept.filter((i) => i >= 64).map((i) => i - 64);
    expect(tile0).toEqual(tile1);
    expect(
      oneInEachBlock(
        tile0.map((i) => [Math.floor(i / 8), i % 8]),
        4,
        4,
        2,
      ),
    ).toBe(true);
  });
});
