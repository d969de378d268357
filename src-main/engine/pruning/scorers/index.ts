// The scorer registry. Adding a method = one file in this folder + one line in SCORERS (and its
// name and description in src-shared/pruning-methods.ts, which the registry test checks).
import type { PruningMethod } from '../../../../src-shared/api';
import { EngineError } from '../../errors';
import type { Scorer } from '../types';
import { explainScorer } from './explain';
import { fastvScorer } from './fastv';
import { poolScorer } from './average-pool';
import { randomScorer } from './random';
import { receivedScorer } from './received';
import { uniformScorer } from './uniform';
import { vtcClsScorer } from './vtc-cls';
import { vtcClsDiverseScorer } from './vtc-cls-diverse';
import { vtcClsEnsembleScorer } from './vtc-cls-ensemble';

export const SCORERS: readonly Scorer[] = [
  vtcClsScorer,
  vtcClsEnsembleScorer,
  receivedScorer,
  vtcClsDiverseScorer,
  explainScorer,
  fastvScorer,
  poolScorer,
  randomScorer,
  uniformScorer,
];

export function getScorer(method: PruningMethod): Scorer {
  const scorer = SCORERS.find((s) => s.method === method);
  if (!scorer)
    throw new EngineError('BAD_ARGUMENT', `unknown pruning method '${method}', expected one of ${SCORERS.map((s) => s.method).join(', ')}`);
  return scorer;
}
