import { describe, expect, it } from 'vitest';
import { PRUNING_METHODS, type PruningMethod } from '../../../../src-shared/api';
import { SCORERS, getScorer } from './index';

describe('scorer registry', () => {
  it('has exactly one scorer for every pruning method of the API', () => {
    expect(SCORERS.map((s) => s.method).sort()).toEqual([...PRUNING_METHODS].sort());
    for (const method of PRUNING_METHODS) expect(getScorer(method).method).toBe(method);
  });

  it('names the known methods when asked for an unknown one', () => {
    expect(() => getScorer('sparsevlm' as PruningMethod)).toThrow(/unknown pruning method 'sparsevlm', expected one of vtc-cls, /);
  });
});
