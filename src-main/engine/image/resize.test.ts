import { describe, expect, it } from 'vitest';
import { resizeLanczos, toNormalizedPlanar } from './resize';

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
