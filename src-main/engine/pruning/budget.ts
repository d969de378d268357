// A Budget (count or ratio) → how many visual tokens to keep.
import type { Budget } from '../../../src-shared/api';
import { EngineError } from '../errors';

export function resolveBudget(budget: Budget, total: number): number {
  if (!Number.isInteger(total) || total <= 0) {
    throw new EngineError('BAD_BUDGET', `cannot apply a budget to ${total} visual tokens`);
  }
  if (budget.kind === 'count') {
    const { count } = budget;
    if (!Number.isInteger(count)) throw new EngineError('BAD_BUDGET', `token budget must be a whole number, got ${count}`);
    if (count <= 0) throw new EngineError('BAD_BUDGET', `token budget must be at least 1, got ${count}`);
    if (count > total) throw new EngineError('BAD_BUDGET', `token budget ${count} exceeds the ${total} visual tokens of this image`);
    return count;
  }
  if (budget.kind === 'ratio') {
    const { ratio } = budget;
    if (!Number.isFinite(ratio)) throw new EngineError('BAD_BUDGET', `token ratio must be a number, got ${ratio}`);
    if (ratio <= 0 || ratio > 1) throw new EngineError('BAD_BUDGET', `token ratio must be in (0, 1], got ${ratio}`);
    // A tiny ratio still keeps one token: an image with no visual tokens at all is not a pruned run.
    return Math.min(total, Math.max(1, Math.round(ratio * total)));
  }
  throw new EngineError('BAD_BUDGET', `unknown budget kind '${(budget as { kind: unknown }).kind}'`);
}
