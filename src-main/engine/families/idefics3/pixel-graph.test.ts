import { describe, expect, it } from 'vitest';
import { toNormalizedPlanar } from '../../image/resize';
import { createRng } from '../../random/prng';
import { resizeBilinearPlanar } from '../../test/image/bilinear-planar';
import { PixelGraph } from './pixel-graph';

const NORM = { rescale: 1 / 255, mean: [0.5, 0.4, 0.3], std: [0.5, 0.25, 0.2] };

/** The same steps in plain JavaScript: normalise, stretch, cut tile by tile, squeeze the stretched image. */
function expected(image: { data: Uint8Array; width: number; height: number }, rows: number, cols: number, T: number): Float32Array {
  const [H, W] = [rows * T, cols * T];
  const planar = toNormalizedPlanar(image, NORM.rescale, NORM.mean, NORM.std);
  const aligned = resizeBilinearPlanar(planar, 3, image.height, image.width, H, W);
  const out = new Float32Array((rows * cols + 1) * 3 * T * T);
  let at = 0;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      for (let ch = 0; ch < 3; ch++) {
        for (let y = 0; y < T; y++, at += T) {
          const from = ch * H * W + (r * T + y) * W + c * T;
          out.set(aligned.subarray(from, from + T), at);
        }
      }
    }
  }
  out.set(resizeBilinearPlanar(aligned, 3, H, W, T, T), at);
  return out;
}

describe('PixelGraph', () => {
  const graph = new PixelGraph();

  it.each([
    [37, 23, 2, 3, 16],
    [50, 50, 1, 1, 24],
    [9, 61, 4, 1, 8],
    [64, 40, 2, 2, 32],
  ])('%ix%i image → %i x %i tiles of %i px and the global view, as the same steps in JavaScript', async (width, height, rows, cols, T) => {
    const rng = createRng(width * 100 + height);
    const image = { width, height, data: Uint8Array.from({ length: width * height * 3 }, () => Math.floor(rng.next() * 256)) };
    const pixels = await graph.run(image, NORM, { height: rows * T, width: cols * T, rows, cols, tileSize: T });
    const want = expected(image, rows, cols, T);
    expect(pixels.length).toBe(want.length);
    let maxDiff = 0;
    for (let i = 0; i < want.length; i++) maxDiff = Math.max(maxDiff, Math.abs(pixels[i] - want[i]));
    expect(maxDiff).toBeLessThan(1e-5);
  });
});
