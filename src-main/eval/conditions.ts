// What one evaluation measures: the full model (the reference every ratio is taken against) and each pruning
// method at each kept fraction of visual tokens.
import type { PruningMethod } from '../../src-shared/api';
import { EngineError } from '../engine/errors';

export type EvalCondition = { method: 'full'; keep: 1 } | { method: PruningMethod; keep: number };

export const FULL: EvalCondition = { method: 'full', keep: 1 };

export const conditionKey = (c: EvalCondition) => `${c.method}@${c.keep}`;

/** Full first, then every method at every keep, in the order given; repeats are dropped. */
export function evalConditions(methods: readonly PruningMethod[], keeps: readonly number[]): EvalCondition[] {
  if (methods.length > 0 && keeps.length === 0) throw new EngineError('BAD_BUDGET', 'pruning methods need at least one kept fraction');
  for (const keep of keeps) {
    if (!Number.isFinite(keep) || keep <= 0 || keep >= 1) {
      throw new EngineError('BAD_BUDGET', `a kept fraction must lie strictly between 0 and 1, got ${keep}`);
    }
  }
  const unique = <T>(xs: readonly T[]) => [...new Set(xs)];
  return [FULL, ...unique(methods).flatMap((method) => unique(keeps).map((keep) => ({ method, keep })))];
}
