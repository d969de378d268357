// The visual tokens as the LLM reads them. Scores, budgets and the kept set count the layout's patch groups (the
// prunable tokens, tile-major); a family whose connector reorders them or adds separators (Phi-3-vision's row
// newlines and the separator between its crops and its global view) says so in `layout.sequence`, and this maps
// the kept groups onto the rows of the vision encoder's output: kept tokens in the LLM's order, separators always.
import { EngineError } from '../errors';
import { tokenGridSize } from './layout';
import type { TokenLayout } from './types';

/** Marks a separator in `TokenLayout.sequence`. */
export const SEPARATOR = -1;

/** The LLM's visual sequence: a patch-group index per row, SEPARATOR for a separator; checked against the grid. */
export function visualSequence(layout: TokenLayout): Int32Array {
  const { totalTokens } = tokenGridSize(layout);
  if (!layout.sequence) return Int32Array.from({ length: totalTokens }, (_, i) => i);
  const seen = new Uint8Array(totalTokens);
  for (const group of layout.sequence) {
    if (group === SEPARATOR) continue;
    if (!Number.isInteger(group) || group < 0 || group >= totalTokens || seen[group]) {
      throw new EngineError('BAD_ARGUMENT', `token sequence holds ${group}, not a separator or a new one of the ${totalTokens} tokens`);
    }
    seen[group] = 1;
  }
  const missing = seen.indexOf(0);
  if (missing >= 0) throw new EngineError('BAD_ARGUMENT', `token sequence leaves out token ${missing} of ${totalTokens}`);
  return Int32Array.from(layout.sequence);
}

/** Rows of the visual sequence the LLM gets for the kept groups: the kept ones and every separator, in order. */
export function keptRows(layout: TokenLayout, kept: Int32Array): Int32Array {
  const sequence = visualSequence(layout);
  const keep = new Uint8Array(tokenGridSize(layout).totalTokens);
  for (const group of kept) keep[group] = 1;
  const rows: number[] = [];
  sequence.forEach((group, row) => (group === SEPARATOR || keep[group]) && rows.push(row));
  return Int32Array.from(rows);
}
