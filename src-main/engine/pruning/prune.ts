// One call for the engine: score the visual tokens, turn the budget into k (separators are not counted: they
// are never pruned), then select (top-k, or a diverse set) or merge (average pooling) as the method's scorer
// says, and map the kept tokens onto the LLM's visual sequence.
import type { Budget, PruningMethod } from '../../../src-shared/api';
import { EngineError } from '../errors';
import { resolveBudget } from './budget';
import { gatherRows } from './gather';
import { tokenGridSize } from './layout';
import { poolGroups } from './merge-pool';
import { getScorer } from './scorers/index';
import { selectTopK } from './select';
import { keptRows, SEPARATOR, visualSequence } from './sequence';
import { selectDiverse } from './select-diverse';
import type { AttentionScores, ScorerOptions, TokenFeatures, TokenLayout } from './types';

export interface PruneRequest {
  method: PruningMethod;
  budget: Budget;
  layout: TokenLayout;
  /** Required by the attention-based methods; see getScorer(method).needs(...) for which layers. */
  attention?: AttentionScores;
  /** Question-dependent methods: see ScorerContext. */
  llmAttention?: Float32Array;
  compressorScores?: Float32Array;
  /** The diverse selection compares these. */
  features?: TokenFeatures;
  /** For `random`; 0 when absent. */
  seed?: number;
  options?: ScorerOptions;
  /** Keep at least this many tokens from every tile. */
  perTileFloor?: number;
}

export interface PruneResult {
  /** Kept token indices, ascending (tile-major, raster order); for a merge, the first source token of each group. */
  kept: Int32Array;
  /** One score per visual token, same indexing. */
  scores: Float32Array;
  /** Rows of the LLM's visual sequence to feed: the kept tokens and every separator, in the LLM's order. */
  rows: Int32Array;
  /** A merge: the source rows each LLM token averages, in the order of `rows`. */
  groups?: Int32Array[];
}

export function pruneVisualTokens(req: PruneRequest): PruneResult {
  const { totalTokens, tokensPerTile } = tokenGridSize(req.layout);
  const scorer = getScorer(req.method);
  const scores = scorer.score({
    attention: req.attention,
    llmAttention: req.llmAttention,
    compressorScores: req.compressorScores,
    features: req.features,
    layout: req.layout,
    seed: req.seed ?? 0,
    options: req.options ?? {},
  });
  if (scores.length !== totalTokens) {
    throw new EngineError('BAD_ARGUMENT', `${req.method} gave ${scores.length} scores for ${totalTokens} visual tokens`);
  }
  const k = resolveBudget(req.budget, totalTokens);
  const selector = scorer.selector ?? 'top-k';
  if (selector === 'top-k') {
    const kept = selectTopK(scores, k, { tokensPerTile, perTileFloor: req.perTileFloor });
    return { kept, scores, rows: keptRows(req.layout, kept) };
  }
  if (req.perTileFloor) throw new EngineError('BAD_ARGUMENT', `a per-tile floor applies to top-k selection, not to ${req.method}`);
  if (selector === 'pool') {
    // Separators have no neighbours to average with, and a reordered sequence no grid to pool in.
    if (req.layout.sequence) throw new EngineError('BAD_ARGUMENT', `${req.method} needs visual tokens in grid order without separators`);
    const groups = poolGroups(req.layout, k);
    const kept = Int32Array.from(groups, (g) => g[0]);
    return { kept, scores, rows: kept, groups };
  }
  if (!req.features) throw new EngineError('BAD_ARGUMENT', `${req.method} compares the visual features, none were given`);
  const kept = selectDiverse(scores, featuresByToken(req.layout, req.features), k);
  return { kept, scores, rows: keptRows(req.layout, kept) };
}

/** The feature rows of the visual sequence (separators included) as one row per prunable token, in token order. */
function featuresByToken(layout: TokenLayout, features: TokenFeatures): TokenFeatures {
  if (!layout.sequence) return features;
  const sequence = visualSequence(layout);
  const rows = new Int32Array(tokenGridSize(layout).totalTokens);
  sequence.forEach((token, row) => token !== SEPARATOR && (rows[token] = row));
  return { values: gatherRows(features.values, features.dim, rows), dim: features.dim };
}
