import { describe, expect, it } from 'vitest';
import type { Budget } from '../../../src-shared/api';
import { EngineError } from '../errors';
import { resolveBudget } from './budget';

function budgetError(budget: Budget, total: number): EngineError {
  try {
    resolveBudget(budget, total);
  } catch (e) {
    if (e instanceof EngineError) return e;
    throw e;
  }
  throw new Error(`expected ${JSON.stringify(budget)} of ${total} to be refused`);
}

describe('resolveBudget', () => {
  it('takes a count as it is', () => {
    expect(resolveBudget({ kind: 'count', count: 64 }, 576)).toBe(64);
    expect(resolveBudget({ kind: 'count', count: 576 }, 576)).toBe(576);
  });

  it('rounds a ratio of the visual tokens, keeping at least one', () => {
    expect(resolveBudget({ kind: 'ratio', ratio: 0.25 }, 832)).toBe(208);
    expect(resolveBudget({ kind: 'ratio', ratio: 0.3 }, 10)).toBe(3);
    expect(resolveBudget({ kind: 'ratio', ratio: 0.35 }, 10)).toBe(4);
    expect(resolveBudget({ kind: 'ratio', ratio: 1 }, 10)).toBe(10);
    expect(resolveBudget({ kind: 'ratio', ratio: 0.001 }, 10)).toBe(1);
  });

  it.each([
    [{ kind: 'count', count: Number.NaN }, /whole number, got NaN/],
    [{ kind: 'count', count: 2.5 }, /whole number, got 2.5/],
    [{ kind: 'count', count: 0 }, /at least 1, got 0/],
    [{ kind: 'count', count: -3 }, /at least 1, got -3/],
    [{ kind: 'count', count: 11 }, /11 exceeds the 10 visual tokens/],
    [{ kind: 'ratio', ratio: Number.NaN }, /ratio must be a number, got NaN/],
    [{ kind: 'ratio', ratio: 0 }, /in \(0, 1\], got 0/],
    [{ kind: 'ratio', ratio: -0.5 }, /in \(0, 1\], got -0.5/],
    [{ kind: 'ratio', ratio: 1.5 }, /in \(0, 1\], got 1.5/],
    [{ kind: 'percent', value: 5 } as unknown as Budget, /unknown budget kind 'percent'/],
  ] as Array<[Budget, RegExp]>)('refuses %j with BAD_BUDGET', (budget, message) => {
    const e = budgetError(budget, 10);
    expect(e.code).toBe('BAD_BUDGET');
    expect(e.message).toMatch(message);
  });

  it('refuses an image without visual tokens', () => {
    expect(budgetError({ kind: 'ratio', ratio: 0.5 }, 0).message).toMatch(/0 visual tokens/);
  });
});
