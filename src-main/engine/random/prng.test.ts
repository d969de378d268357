import { describe, expect, it } from 'vitest';
import { createRng } from './prng';

describe('createRng', () => {
  it('repeats the same sequence for the same seed and differs for another', () => {
    const a = createRng(42);
    const b = createRng(42);
    const c = createRng(43);
    const seqA = Array.from({ length: 20 }, () => a.next());
    expect(Array.from({ length: 20 }, () => b.next())).toEqual(seqA);
    expect(Array.from({ length: 20 }, () => c.next())).not.toEqual(seqA);
  });

  it('draws evenly from [0, 1)', () => {
    const r = createRng(7);
    const values = Array.from({ length: 20_000 }, () => r.next());
    expect(values.every((v) => v >= 0 && v < 1)).toBe(true);
    const buckets = new Array(10).fill(0);
    for (const v of values) buckets[Math.floor(v * 10)]++;
    for (const b of buckets) expect(Math.abs(b - 2000)).toBeLessThan(200);
  });

  it('keeps int() within both inclusive ends and reaches each of them', () => {
    const rng = createRng(7);
    const seen = new Set(Array.from({ length: 2000 }, () => rng.int(1, 8)));
    expect([...seen].sort()).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('shuffles into a permutation without touching its input', () => {
    const items = [1, 2, 3, 4, 5, 6];
    const out = createRng(3).shuffle(items);
    expect(items).toEqual([1, 2, 3, 4, 5, 6]);
    expect([...out].sort()).toEqual(items);
  });

  it('rejects a non-integer seed and picking from nothing', () => {
    expect(() => createRng(1.5)).toThrow(/integer/);
    expect(() => createRng(1).pick([])).toThrow(/empty/);
  });
});
