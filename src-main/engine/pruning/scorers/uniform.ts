// Baseline: tokens evenly spread in space. Scores rank each tile's tokens in a hierarchical,
// stratified order, so every top-k prefix is spread out: the first 4 tokens of a tile fall one
// in each quadrant, the first 16 one in each quarter of a quadrant, and so on. Scores are the
// rank as a fraction of the tile, so a global top-k takes the same share from every tile.
import { tokenGridSize } from '../layout';
import type { Scorer } from '../types';

function reverseBits(value: number, bits: number): number {
  let out = 0;
  for (let i = 0; i < bits; i++) out |= ((value >>> i) & 1) << (bits - 1 - i);
  return out;
}

/**
 * Rank (0 = first kept) of each cell of a rows x cols grid, raster order. Visits a power-of-two
 * grid by bit-reversed Morton code (a 2-D van der Corput order), shifted by a quarter side so
 * early picks sit near block centres rather than corners, then scales it onto the real grid;
 * cells reached twice keep their first rank.
 */
export function spreadRanks(rows: number, cols: number): Int32Array {
  let bits = 0;
  while (1 << bits < Math.max(rows, cols)) bits++;
  const side = 1 << bits;
  const shift = side >> 2;
  const rank = new Int32Array(rows * cols).fill(-1);
  let next = 0;
  for (let t = 0; t < side * side && next < rank.length; t++) {
    const code = reverseBits(t, 2 * bits);
    let pr = 0;
    let pc = 0;
    for (let i = 0; i < bits; i++) {
      pr |= ((code >>> (2 * i + 1)) & 1) << i;
      pc |= ((code >>> (2 * i)) & 1) << i;
    }
    const r = Math.floor((((pr + shift) % side) * rows) / side);
    const c = Math.floor((((pc + shift) % side) * cols) / side);
    const cell = r * cols + c;
    if (rank[cell] < 0) rank[cell] = next++;
  }
  return rank;
}

export const uniformScorer: Scorer = {
  method: 'uniform',
  needs: () => ({ kind: 'none', layers: [] }),
  score: ({ layout }) => {
    const { tokenRows, tokenCols, tokensPerTile, totalTokens } = tokenGridSize(layout);
    const ranks = spreadRanks(tokenRows, tokenCols);
    const scores = new Float32Array(totalTokens);
    for (let i = 0; i < totalTokens; i++) scores[i] = 1 - ranks[i % tokensPerTile] / tokensPerTile;
    return scores;
  },
};
