import { describe, expect, it } from 'vitest';
import { conditionKey, evalConditions } from './conditions';

describe('evalConditions', () => {
  it('puts full first, then each method at each keep in the given order', () => {
    expect(evalConditions(['vtc-cls', 'random'], [0.5, 0.11])).toEqual([
      { method: 'full', keep: 1 },
      { method: 'vtc-cls', keep: 0.5 },
      { method: 'vtc-cls', keep: 0.11 },
      { method: 'random', keep: 0.5 },
      { method: 'random', keep: 0.11 },
    ]);
  });

  it('drops repeated methods and keeps, and runs full alone when no method is asked for', () => {
    expect(evalConditions(['uniform', 'uniform'], [0.25, 0.25]).map(conditionKey)).toEqual(['full@1', 'uniform@0.25']);
    expect(evalConditions([], [])).toEqual([{ method: 'full', keep: 1 }]);
  });

  it.each([0, 1, -0.5, 1.5, NaN])('refuses the kept fraction %s', (keep) => {
    expect(() => evalConditions(['random'], [keep])).toThrow(`a kept fraction must lie strictly between 0 and 1, got ${keep}`);
  });

  it('refuses methods without any kept fraction', () => {
    expect(() => evalConditions(['random'], [])).toThrow('pruning methods need at least one kept fraction');
  });
});
