// Per-run outcomes → one result row per condition: accuracy, retention of the full model's accuracy, mean
// prefill and ranking time and the speedup over full's prefill, ranking included. Every condition ran on the same questions, so ratios of means
// compare like with like.
import { EngineError } from '../engine/errors';
import { conditionKey, FULL, type EvalCondition } from './conditions';

export interface RunOutcome {
  condition: EvalCondition;
  correct: boolean;
  prefillMs: number;
  /** Ranking the tokens before the prefill (pruned runs; 0 for full). */
  rankMs: number;
  visualTokens: number;
}

/** One row of `vtc eval --json` (snake_case, as printed). */
export interface EvalResult {
  method: EvalCondition['method'];
  /** Fraction of visual tokens kept; 1 for full. */
  keep: number;
  /** Fraction of questions answered correctly. */
  accuracy: number;
  /** accuracy / full accuracy; null when full answered nothing correctly. */
  retention: number | null;
  prefill_ms: number;
  /** Mean time ranking the tokens before the prefill (question-dependent methods: the decoder probe). */
  rank_ms: number;
  /** full prefill_ms / (this prefill_ms + rank_ms): ranking counts in every speedup. */
  speedup: number;
  /** Mean visual tokens the LLM saw. */
  visual_tokens: number;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

export function summarizeOutcomes(conditions: readonly EvalCondition[], outcomes: readonly RunOutcome[]): EvalResult[] {
  const byKey = new Map<string, RunOutcome[]>(conditions.map((c) => [conditionKey(c), []]));
  for (const o of outcomes) {
    const list = byKey.get(conditionKey(o.condition));
    if (!list) throw new EngineError('BAD_ARGUMENT', `an outcome for ${conditionKey(o.condition)}, which is not among the conditions`);
    list.push(o);
  }
  const full = byKey.get(conditionKey(FULL));
  if (!full) throw new EngineError('BAD_ARGUMENT', 'the conditions must include full: retention and speedup are measured against it');
  const counts = new Set([...byKey.values()].map((list) => list.length));
  if (counts.size !== 1 || full.length === 0) {
    throw new EngineError('BAD_ARGUMENT', `every condition needs the same, non-zero number of runs, got ${[...counts].join(', ')}`);
  }
  const accuracyOf = (list: RunOutcome[]) => list.filter((o) => o.correct).length / list.length;
  const fullAccuracy = accuracyOf(full);
  const fullPrefill = mean(full.map((o) => o.prefillMs));
  return conditions.map((c) => {
    const list = byKey.get(conditionKey(c))!;
    const accuracy = accuracyOf(list);
    const prefill = mean(list.map((o) => o.prefillMs));
    const rank = mean(list.map((o) => o.rankMs));
    return {
      method: c.method,
      keep: c.keep,
      accuracy,
      retention: fullAccuracy > 0 ? accuracy / fullAccuracy : null,
      prefill_ms: prefill,
      rank_ms: rank,
      speedup: fullPrefill / (prefill + rank),
      visual_tokens: mean(list.map((o) => o.visualTokens)),
    };
  });
}

/** The same summary for each question type on its own; questions without a type are left out. */
export function summarizeByType(
  conditions: readonly EvalCondition[],
  outcomes: readonly (RunOutcome & { item: { type?: string } })[],
): Map<string, EvalResult[]> {
  const groups = new Map<string, RunOutcome[]>();
  for (const o of outcomes) {
    if (o.item.type === undefined) continue;
    if (!groups.has(o.item.type)) groups.set(o.item.type, []);
    groups.get(o.item.type)!.push(o);
  }
  return new Map([...groups].sort(([a], [b]) => a.localeCompare(b)).map(([type, list]) => [type, summarizeOutcomes(conditions, list)]));
}
