import { describe, expect, it } from 'vitest';
import type { StageTimings } from '../../src-shared/api';
import { speedup, timingBars } from './timing-bars';

function timings(stages: Partial<StageTimings>): StageTimings {
  return {
    preprocessMs: 0,
    visionMs: 0,
    embedMs: 0,
    prefillMs: 0,
    decodeMs: 0,
    decodeTokens: 0,
    tokensPerSecond: 0,
    totalMs: 0,
    ...stages,
  };
}

describe('timingBars', () => {
  it('puts both sides on the scale of the slower one', () => {
    const full = timings({ preprocessMs: 10, visionMs: 90, embedMs: 0, prefillMs: 60, decodeMs: 40, totalMs: 200 });
    const pruned = timings({ preprocessMs: 10, visionMs: 90, embedMs: 0, prefillMs: 20, decodeMs: 30, totalMs: 150 });
    const [fullBar, prunedBar] = timingBars([full, pruned]);
    const sum = (bar: typeof fullBar) => bar.reduce((s, seg) => s + seg.percent, 0);
    expect(sum(fullBar)).toBeCloseTo(100);
    expect(sum(prunedBar)).toBeCloseTo(75);
    expect(fullBar.map((s) => s.stage)).toEqual(['preprocessMs', 'visionMs', 'embedMs', 'prefillMs', 'decodeMs']);
    expect(prunedBar.find((s) => s.stage === 'prefillMs')).toMatchObject({ ms: 20, percent: 10, label: 'Prefill' });
  });

  it('treats negative and non-finite stage times as zero instead of drawing broken bars', () => {
    const [bar] = timingBars([timings({ visionMs: -5, prefillMs: Number.NaN, decodeMs: 50 })]);
    expect(bar.map((s) => s.percent)).toEqual([0, 0, 0, 0, 100]);
  });

  it('draws empty bars when nothing was timed', () => {
    const [bar] = timingBars([timings({})]);
    expect(bar.every((s) => s.percent === 0)).toBe(true);
  });
});

describe('speedup', () => {
  it('is the ratio of total times', () => {
    expect(speedup(timings({ totalMs: 300 }), timings({ totalMs: 200 }))).toBeCloseTo(1.5);
  });

  it('is null when a total is missing', () => {
    expect(speedup(timings({ totalMs: 300 }), timings({ totalMs: 0 }))).toBeNull();
    expect(speedup(timings({ totalMs: Number.NaN }), timings({ totalMs: 10 }))).toBeNull();
  });
});
