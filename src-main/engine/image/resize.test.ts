import { describe, expect, it } from 'vitest';
import { resizeBicubicPlanar, resizeLanczos, toNormalizedPlanar } from './resize';

describe('toNormalizedPlanar', () => {
  it('rescales, normalises per channel and writes planes R, G, B', () => {
    // 2x1 image: pixel 0 = (0, 255, 51), pixel 1 = (255, 0, 102).
    const img = { data: Uint8Array.of(0, 255, 51, 255, 0, 102), width: 2, height: 1 };
    const out = toNormalizedPlanar(img, 1 / 255, [0.5, 0, 0.2], [0.5, 1, 0.1]);
    const expected = [-1, 1, 1, 0, 0, 2];
    out.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 6));
  });

  it('is the identity on values with rescale 1, mean 0, std 1', () => {
    const img = { data: Uint8Array.of(7, 8, 9), width: 1, height: 1 };
    expect(Array.from(toNormalizedPlanar(img, 1, [0, 0, 0], [1, 1, 1]))).toEqual([7, 8, 9]);
  });
});

describe('resizeLanczos', () => {
  it('returns the very same image when the size does not change', async () => {
    const img = { data: new Uint8Array(2 * 2 * 3).fill(9), width: 2, height: 2 };
    expect(await resizeLanczos(img, 2, 2)).toBe(img);
  });

  it('produces the requested size and keeps a flat colour flat', async () => {
    const img = { data: new Uint8Array(5 * 3 * 3).map((_, i) => [200, 40, 90][i % 3]), width: 5, height: 3 };
    const out = await resizeLanczos(img, 12, 7);
    expect([out.width, out.height, out.data.length]).toEqual([12, 7, 12 * 7 * 3]);
    for (let p = 0; p < 12 * 7; p++) expect(Array.from(out.data.subarray(p * 3, p * 3 + 3))).toEqual([200, 40, 90]);
  });
});

describe('resizeBicubicPlanar', () => {
  it('keeps a plane of one value and a same-size plane as they are', () => {
    const flat = resizeBicubicPlanar(new Float32Array(12).fill(0.25), 3, 2, 2, 5, 3);
    expect(Array.from(flat).every((v) => Math.abs(v - 0.25) < 1e-6)).toBe(true);
    const src = Float32Array.from({ length: 12 }, (_, i) => i);
    expect(Array.from(resizeBicubicPlanar(src, 1, 3, 4, 3, 4)).map((v) => Math.round(v * 1e5) / 1e5)).toEqual(Array.from(src));
  });

  it('weighs four taps with the cubic kernel (a = -0.75), repeating the edge, and overshoots at a step', () => {
    // Row 0, 0, 1, 1 doubled: output 3 samples 1.25, taps 0..3 with weights -0.1054688, 0.8789063, 0.2617188, -0.0351563.
    const out = resizeBicubicPlanar(Float32Array.of(0, 0, 1, 1), 1, 1, 4, 1, 8);
    expect(out[3]).toBeCloseTo(0.2265625, 6);
    expect(Math.min(...out)).toBeLessThan(0);
    // Row 0, 2, 4, 6 halved: output 0 samples 0.5, taps -1..2 (the first repeats 0) weighted -0.09375, 0.59375, 0.59375, -0.09375.
    expect(Array.from(resizeBicubicPlanar(Float32Array.of(0, 2, 4, 6), 1, 1, 4, 1, 2))).toEqual([0.8125, 5.1875]);
  });
});
