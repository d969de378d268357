// The scorer registry. Adding a method = one file in this folder + one line in SCORERS (and its
// name in PRUNING_METHODS in src-shared/api.ts, which the registry test checks).
import type { PruningMethod } from '../../../../src-shared/api';
import { EngineError } from '../../errors';
import type { Scorer } from '../types';
import { randomScorer } from './random';
import { receivedScorer } from './received';
import { uniformScorer } from './uniform';
import { vtcClsScorer } from './vtc-cls';
import { vtcClsEnsembleScorer } from './vtc-cls-ensemble';

export const SCORERS: readonly Scorer[] = [vtcClsScorer, vtcClsEnsembleScorer, receivedScorer, randomScorer, uniformScorer];

export function getScorer(method: PruningMethod): Scorer {
  const scorer = SCORERS.find((s) => s.method === method);
  if (!scorer)
    throw new EngineError('BAD_ARGUMENT', `unknown pruning method '${method}', expected one of ${SCORERS.map((s) => s.method).join(', ')}`);
  return scorer;
}
