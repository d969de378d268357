import { describe, expect, it } from 'vitest';
import type { StageTimings } from '../../src-shared/api';
import { photoBar, sideBars } from './timing-bars';

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

describe('sideBars', () => {
  it('draws only each side’s own stages, on the scale of the slower side', () => {
    // The photo's 100 ms are shared: they must not shrink the difference between the sides.
    const full = timings({ preprocessMs: 10, visionMs: 90, embedMs: 0, prefillMs: 60, decodeMs: 40, totalMs: 200 });
    const pruned = timings({ preprocessMs: 10, visionMs: 90, embedMs: 0, prefillMs: 20, decodeMs: 30, totalMs: 150 });
    const [fullBar, prunedBar] = sideBars([full, pruned]);
    const sum = (bar: typeof fullBar) => bar.reduce((s, seg) => s + seg.percent, 0);
    expect(sum(fullBar)).toBeCloseTo(100);
    expect(sum(prunedBar)).toBeCloseTo(50);
    expect(fullBar.map((s) => s.stage)).toEqual(['embedMs', 'prefillMs', 'decodeMs']);
    expect(prunedBar.find((s) => s.stage === 'prefillMs')).toMatchObject({ ms: 20, percent: 20, label: 'Prefill' });
  });

  it('treats negative and non-finite stage times as zero instead of drawing broken bars', () => {
    const [bar] = sideBars([timings({ embedMs: -5, prefillMs: Number.NaN, decodeMs: 50 })]);
    expect(bar.map((s) => s.percent)).toEqual([0, 0, 100]);
  });

  it('draws empty bars when nothing was timed', () => {
    const [bar] = sideBars([timings({})]);
    expect(bar.every((s) => s.percent === 0)).toBe(true);
  });
});

describe('photoBar', () => {
  it('splits the photo’s own time into reading and vision encoding', () => {
    const bar = photoBar(timings({ preprocessMs: 25, visionMs: 75, prefillMs: 500 }));
    expect(bar.map((s) => [s.stage, s.percent])).toEqual([
      ['preprocessMs', 25],
      ['visionMs', 75],
    ]);
  });
});
