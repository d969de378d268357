// Merging instead of selecting: average pooling of neighbouring visual tokens in each tile's token grid, the
// related-work baseline of VTC-CLS ("simple average pooling"). The window follows the budget (2x2 for a quarter,
// 3x3 for a ninth, 1x2 for a half); windows at the right and bottom edges hold what is left, so the pooled count
// is ceil(rows / r) x ceil(cols / c) per tile: near the budget, not exactly it.
import { EngineError } from '../errors';
import { tokenGridSize } from './layout';
import type { TokenLayout } from './types';

/** Window rows x cols whose area is nearest to total / k (k of total tokens wanted). */
export function poolWindow(total: number, k: number): { rows: number; cols: number } {
  if (!Number.isInteger(k) || k < 1 || k > total) throw new EngineError('BAD_BUDGET', `cannot keep ${k} of ${total} visual tokens`);
  const area = Math.max(1, Math.round(total / k));
  const cols = Math.ceil(Math.sqrt(area));
  return { rows: Math.max(1, Math.round(area / cols)), cols };
}

/** The source tokens of each pooled token: tile-major, windows in raster order, each window's tokens ascending. */
export function poolGroups(layout: TokenLayout, k: number): Int32Array[] {
  const { tokenRows, tokenCols, tokensPerTile, totalTokens } = tokenGridSize(layout);
  const window = poolWindow(totalTokens, k);
  const groups: Int32Array[] = [];
  for (let tile = 0; tile < layout.tiles; tile++) {
    for (let r = 0; r < tokenRows; r += window.rows) {
      for (let c = 0; c < tokenCols; c += window.cols) {
        const group: number[] = [];
        for (let dr = r; dr < Math.min(tokenRows, r + window.rows); dr++) {
          for (let dc = c; dc < Math.min(tokenCols, c + window.cols); dc++) group.push(tile * tokensPerTile + dr * tokenCols + dc);
        }
        groups.push(Int32Array.from(group));
      }
    }
  }
  return groups;
}

/** One row per group: the mean of its feature rows. */
export function averageRows(features: Float32Array, dim: number, groups: readonly Int32Array[]): Float32Array {
  if (!Number.isInteger(dim) || dim <= 0 || features.length % dim !== 0) {
    throw new EngineError('BAD_ARGUMENT', `${features.length} feature values do not split into rows of ${dim}`);
  }
  const rows = features.length / dim;
  const out = new Float32Array(groups.length * dim);
  groups.forEach((group, g) => {
    if (group.length === 0) throw new EngineError('BAD_ARGUMENT', `pooled token ${g} has no source tokens`);
    for (const row of group) {
      if (row < 0 || row >= rows)
        throw new EngineError('BAD_ARGUMENT', `pooled token ${g} reads row ${row}, outside the ${rows} feature rows`);
      for (let d = 0; d < dim; d++) out[g * dim + d] += features[row * dim + d];
    }
    for (let d = 0; d < dim; d++) out[g * dim + d] /= group.length;
  });
  return out;
}
