import { describe, expect, it } from 'vitest';
import { selectTopK } from '../select';
import { randomScorer, seededUnitFloat } from './random';

const layout = { tiles: 13, patchRows: 32, patchCols: 32, poolFactor: 4 };
const score = (seed: number) => randomScorer.score({ layout, seed, options: {} });

describe('random scorer', () => {
  it('needs no attention', () => {
    expect(randomScorer.needs(24, {})).toEqual({ kind: 'none', layers: [] });
  });

  it('gives one score in [0, 1) per token, the same for the same seed', () => {
    const a = score(7);
    expect(a.length).toBe(13 * 64);
    expect(a.every((v) => v >= 0 && v < 1)).toBe(true);
    expect(score(7)).toEqual(a);
  });

  it('matches values computed independently (Python, same integer hash): identical on every platform', () => {
    expect([0, 1, 2, 3].map((i) => seededUnitFloat(0, i))).toEqual([
      0.8102060556411743, 0.5014223456382751, 0.08367222547531128, 0.4892837405204773,
    ]);
    expect(seededUnitFloat(42, 3)).toBe(0.04716438055038452);
    expect(seededUnitFloat(2 ** 40 + 7, 1)).toBe(0.8542404770851135);
  });

  it('keeps different tokens for different seeds, including seeds that differ above 32 bits', () => {
    const kept = (seed: number) => Array.from(selectTopK(score(seed), 64));
    expect(kept(1)).not.toEqual(kept(2));
    expect(kept(5)).not.toEqual(kept(2 ** 32 + 5));
  });

  it('is close to uniform: about a quarter of 10,000 draws in each quarter of [0, 1)', () => {
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 10_000; i++) counts[Math.floor(seededUnitFloat(3, i) * 4)]++;
    for (const c of counts) expect(Math.abs(c - 2500)).toBeLessThan(200);
  });

  it('refuses a seed that is not a whole number', () => {
    expect(() => score(0.5)).toThrow(/random seed must be a whole number, got 0.5/);
  });
});
