// The visual-token grid implied by a TokenLayout. Every pruning function goes through here so a
// malformed layout is refused in one place, with one message.
import { EngineError } from '../errors';
import type { TokenLayout } from './types';

export interface TokenGridSize {
  tokenRows: number;
  tokenCols: number;
  tokensPerTile: number;
  totalTokens: number;
}

function isPositiveInteger(n: number): boolean {
  return Number.isInteger(n) && n > 0;
}

export function tokenGridSize(layout: TokenLayout): TokenGridSize {
  const { tiles, patchRows, patchCols, poolFactor } = layout;
  if (![tiles, patchRows, patchCols, poolFactor].every(isPositiveInteger)) {
    throw new EngineError('BAD_ARGUMENT', `token layout needs positive integers, got ${JSON.stringify(layout)}`);
  }
  if (patchRows % poolFactor !== 0 || patchCols % poolFactor !== 0) {
    throw new EngineError('BAD_ARGUMENT', `a ${patchRows}x${patchCols} patch grid cannot be pooled in ${poolFactor}x${poolFactor} groups`);
  }
  const tokenRows = patchRows / poolFactor;
  const tokenCols = patchCols / poolFactor;
  const tokensPerTile = tokenRows * tokenCols;
  return { tokenRows, tokenCols, tokensPerTile, totalTokens: tokensPerTile * tiles };
}
