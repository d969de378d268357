import { join } from 'node:path';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../../random/prng';
import { resizeBilinearPlanar } from './bilinear-planar';

// Built by models/scripts/test_resize_op.py: one Resize(mode=linear, half_pixel) node, output size as an input.
const RESIZE_OP = join(import.meta.dirname, 'testdata/resize-linear-half-pixel.onnx');

describe('resizeBilinearPlanar', () => {
  it('upsamples 2x2 to 4x4 as computed by hand (half-pixel centres, edges clamped)', () => {
    // Output x maps to source (x + 0.5) / 2 - 0.5 = -0.25, 0.25, 0.75, 1.25 → clamped 0, 0.25, 0.75, 1.
    const out = resizeBilinearPlanar(Float32Array.of(0, 10, 20, 30), 1, 2, 2, 4, 4);
    expect(Array.from(out)).toEqual([0, 2.5, 7.5, 10, 5, 7.5, 12.5, 15, 15, 17.5, 22.5, 25, 20, 22.5, 27.5, 30]);
  });

  it('downsamples 4x4 to 2x2 into the mean of each 2x2 block', () => {
    // Output x maps to source 0.5 and 2.5: halfway between two source pixels on each axis.
    const src = Float32Array.from({ length: 16 }, (_, i) => i);
    expect(Array.from(resizeBilinearPlanar(src, 1, 4, 4, 2, 2))).toEqual([2.5, 4.5, 10.5, 12.5]);
  });

  it('resizes each channel plane on its own', () => {
    const src = Float32Array.of(1, 1, 1, 1, 5, 5, 5, 5);
    expect(Array.from(resizeBilinearPlanar(src, 2, 2, 2, 3, 1))).toEqual([1, 1, 1, 5, 5, 5]);
  });

  it('returns the input values unchanged at the same size', () => {
    const src = Float32Array.of(3, -1, 4, 1.5, 9, 2);
    expect(Array.from(resizeBilinearPlanar(src, 1, 2, 3, 2, 3))).toEqual(Array.from(src));
  });

  describe("against onnxruntime's Resize(mode=linear, half_pixel)", () => {
    let session: InferenceSession;
    beforeAll(async () => {
      session = await InferenceSession.create(RESIZE_OP);
    });
    afterAll(async () => {
      await session?.release();
    });

    it.each([
      [3, 7, 5, 16, 16],
      [3, 13, 17, 4, 5],
      [2, 10, 10, 10, 10],
      [1, 9, 31, 24, 8],
      [3, 64, 48, 29, 37],
      [1, 1, 6, 3, 4],
    ])('%i channels %ix%i → %ix%i', async (channels, inH, inW, outH, outW) => {
      const rng = createRng(inH * 1000 + inW * 10 + outH);
      const src = Float32Array.from({ length: channels * inH * inW }, () => rng.next() * 4 - 2);
      const out = await session.run({
        input: new Tensor('float32', src, [1, channels, inH, inW]),
        sizes: new Tensor('int64', BigInt64Array.of(1n, BigInt(channels), BigInt(outH), BigInt(outW)), [4]),
      });
      const expected = out.output.data as Float32Array;
      const actual = resizeBilinearPlanar(src, channels, inH, inW, outH, outW);
      expect(actual.length).toBe(expected.length);
      let maxDiff = 0;
      for (let i = 0; i < actual.length; i++) maxDiff = Math.max(maxDiff, Math.abs(actual[i] - expected[i]));
      expect(maxDiff).toBeLessThan(1e-5);
    });
  });
});
