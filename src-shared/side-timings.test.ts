import { describe, expect, it } from 'vitest';
import type { StageTimings } from './api';
import { firstTokenMs, photoMs, sideMs } from './side-timings';

const t: StageTimings = {
  preprocessMs: 12,
  visionMs: 300,
  embedMs: 4,
  prefillMs: 80,
  decodeMs: 120,
  decodeTokens: 6,
  tokensPerSecond: 50,
  totalMs: 516,
};

describe('side timings', () => {
  it('splits the photo stages from the side’s own compute', () => {
    expect(photoMs(t)).toBe(312);
    expect(sideMs(t)).toBe(204);
    expect(photoMs(t) + sideMs(t)).toBe(t.totalMs);
  });

  it('times the first token from the side’s own start', () => {
    expect(firstTokenMs(t)).toBe(84);
  });

  it('counts negative and non-finite stage times as zero', () => {
    expect(sideMs({ ...t, embedMs: -3, decodeMs: Number.NaN })).toBe(80);
    expect(photoMs({ ...t, visionMs: Number.POSITIVE_INFINITY })).toBe(12);
  });
});
