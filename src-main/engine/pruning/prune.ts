// One call for the engine: score the visual tokens, turn the budget into k (separators are not counted: they
// are never pruned), pick the top k, and map them onto the LLM's visual sequence.
import type { Budget, PruningMethod } from '../../../src-shared/api';
import { EngineError } from '../errors';
import { resolveBudget } from './budget';
import { tokenGridSize } from './layout';
import { getScorer } from './scorers/index';
import { selectTopK } from './select';
import { keptRows } from './sequence';
import type { AttentionScores, ScorerOptions, TokenLayout } from './types';

export interface PruneRequest {
  method: PruningMethod;
  budget: Budget;
  layout: TokenLayout;
  /** Required by the attention-based methods; see getScorer(method).needs(...) for which layers. */
  attention?: AttentionScores;
  /** For `random`; 0 when absent. */
  seed?: number;
  options?: ScorerOptions;
  /** Keep at least this many tokens from every tile. */
  perTileFloor?: number;
}

export interface PruneResult {
  /** Kept token indices, ascending (tile-major, raster order). */
  kept: Int32Array;
  /** One score per visual token, same indexing. */
  scores: Float32Array;
  /** Rows of the LLM's visual sequence to feed: the kept tokens and every separator, in the LLM's order. */
  rows: Int32Array;
}

export function pruneVisualTokens(req: PruneRequest): PruneResult {
  const { totalTokens, tokensPerTile } = tokenGridSize(req.layout);
  const scores = getScorer(req.method).score({
    attention: req.attention,
    layout: req.layout,
    seed: req.seed ?? 0,
    options: req.options ?? {},
  });
  if (scores.length !== totalTokens) {
    throw new EngineError('BAD_ARGUMENT', `${req.method} gave ${scores.length} scores for ${totalTokens} visual tokens`);
  }
  const k = resolveBudget(req.budget, totalTokens);
  const kept = selectTopK(scores, k, { tokensPerTile, perTileFloor: req.perTileFloor });
  return { kept, scores, rows: keptRows(req.layout, kept) };
}
