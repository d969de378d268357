import { describe, expect, it } from 'vitest';
import type { EvalResult } from './summarize';
import { checkTargets } from './targets';

const result = (method: EvalResult['method'], keep: number, accuracy: number, retention: number | null, speedup: number): EvalResult => ({
  method,
  keep,
  accuracy,
  retention,
  prefill_ms: 100 / speedup,
  rank_ms: 0,
  speedup,
  visual_tokens: 100 * keep,
});

describe('checkTargets', () => {
  it('reports each target with what was measured', () => {
    const results = [
      result('full', 1, 0.8, 1, 1),
      result('vtc-cls', 0.25, 0.78, 0.975, 4),
      result('vtc-cls', 0.11, 0.7, 0.875, 6),
      result('random', 0.11, 0.62, 0.775, 6),
    ];
    expect(checkTargets(results)).toEqual([
      { target: 'vtc-cls at 25% of visual tokens retains >= 97% of full accuracy', measured: '97.5%', met: true },
      { target: 'vtc-cls at 11% beats random by >= 10 points', measured: '8.0 points', met: false },
      { target: 'prefill at 25% kept <= 0.35x of full', measured: '0.25x', met: true },
    ]);
  });

  it('counts a lead of exactly 10 points as met and a slow prefill as missed', () => {
    const results = [result('vtc-cls', 0.25, 0.5, 0.9, 2), result('vtc-cls', 0.11, 0.5, 0.8, 5), result('random', 0.11, 0.4, 0.7, 5)];
    expect(checkTargets(results).map((t) => [t.measured, t.met])).toEqual([
      ['90.0%', false],
      ['10.0 points', true],
      ['0.50x', false],
    ]);
  });

  it('leaves out targets whose rows were not measured or whose retention is undefined', () => {
    expect(checkTargets([result('full', 1, 0, null, 1), result('random', 0.11, 0, null, 5)])).toEqual([]);
    expect(checkTargets([result('vtc-cls', 0.25, 0, null, 4)]).map((t) => t.target)).toEqual(['prefill at 25% kept <= 0.35x of full']);
  });
});
