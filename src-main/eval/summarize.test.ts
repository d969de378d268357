import { describe, expect, it } from 'vitest';
import type { EvalCondition } from './conditions';
import { summarizeByType, summarizeOutcomes, type RunOutcome } from './summarize';

const full: EvalCondition = { method: 'full', keep: 1 };
const cls: EvalCondition = { method: 'vtc-cls', keep: 0.25 };
const run = (condition: EvalCondition, correct: boolean, prefillMs: number, visualTokens: number, rankMs = 0): RunOutcome => ({
  condition,
  correct,
  prefillMs,
  rankMs,
  visualTokens,
});

describe('summarizeOutcomes', () => {
  it('computes accuracy, retention against full, mean prefill and speedup', () => {
    const outcomes = [
      run(full, true, 100, 64),
      run(cls, true, 30, 16),
      run(full, true, 140, 64),
      run(cls, false, 50, 16),
      run(full, false, 120, 64),
      run(cls, true, 40, 16),
      run(full, true, 120, 64),
      run(cls, true, 40, 16),
    ];
    const [f, c] = summarizeOutcomes([full, cls], outcomes);
    expect(f).toEqual({
      method: 'full',
      keep: 1,
      accuracy: 0.75,
      retention: 1,
      prefill_ms: 120,
      rank_ms: 0,
      speedup: 1,
      visual_tokens: 64,
    });
    expect(c).toEqual({
      method: 'vtc-cls',
      keep: 0.25,
      accuracy: 0.75,
      retention: 1,
      prefill_ms: 40,
      rank_ms: 0,
      speedup: 3,
      visual_tokens: 16,
    });
  });

  it('counts the ranking before the prefill in the speedup', () => {
    const [, fastv] = summarizeOutcomes(
      [full, { method: 'fastv', keep: 0.25 }],
      [run(full, true, 120, 64), run({ method: 'fastv', keep: 0.25 }, true, 40, 16, 20)],
    );
    expect([fastv.prefill_ms, fastv.rank_ms, fastv.speedup]).toEqual([40, 20, 2]);
  });

  it('can retain more than full, and has no retention when full got nothing right', () => {
    const better = summarizeOutcomes(
      [full, cls],
      [run(full, true, 10, 4), run(full, false, 10, 4), run(cls, true, 5, 1), run(cls, true, 5, 1)],
    );
    expect(better[1].retention).toBe(2);
    const none = summarizeOutcomes([full, cls], [run(full, false, 10, 4), run(cls, true, 5, 1)]);
    expect(none.map((r) => r.retention)).toEqual([null, null]);
  });

  it('refuses outcomes that cannot be compared', () => {
    expect(() => summarizeOutcomes([cls], [run(cls, true, 1, 1)])).toThrow('the conditions must include full');
    expect(() => summarizeOutcomes([full, cls], [run(full, true, 1, 1)])).toThrow(
      'every condition needs the same, non-zero number of runs, got 1, 0',
    );
    expect(() => summarizeOutcomes([full], [run(cls, true, 1, 1)])).toThrow(
      'an outcome for vtc-cls@0.25, which is not among the conditions',
    );
    expect(() => summarizeOutcomes([full], [])).toThrow('non-zero number of runs');
  });
});

describe('summarizeByType', () => {
  it('summarises each question type on its own, sorted by name, leaving out untyped questions', () => {
    const typed = (type: string | undefined, o: RunOutcome) => ({ ...o, item: { type } });
    const byType = summarizeByType(
      [full, cls],
      [
        typed('count', run(full, true, 100, 64)),
        typed('count', run(cls, false, 25, 16)),
        typed('color', run(full, true, 100, 64)),
        typed('color', run(cls, true, 20, 16)),
        typed(undefined, run(full, false, 100, 64)),
        typed(undefined, run(cls, false, 20, 16)),
      ],
    );
    expect([...byType.keys()]).toEqual(['color', 'count']);
    expect(byType.get('color')!.map((r) => [r.accuracy, r.speedup])).toEqual([
      [1, 1],
      [1, 5],
    ]);
    expect(byType.get('count')!.map((r) => [r.accuracy, r.retention])).toEqual([
      [1, 1],
      [0, 0],
    ]);
  });
});
