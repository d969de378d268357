// The two resamplers the reference image processors use. Lanczos on 8-bit pixels goes through sharp (as
// transformers.js does in Node); bilinear on float planes reproduces onnxruntime's Resize(mode=linear,
// coordinate_transformation_mode=half_pixel, no antialias), which transformers.js runs for `interpolate_4d`.
import sharp from 'sharp';
import type { RgbImage } from './decode-image';

export async function resizeLanczos(img: RgbImage, width: number, height: number): Promise<RgbImage> {
  if (img.width === width && img.height === height) return img;
  const { data, info } = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .resize({ width, height, fit: 'fill', kernel: 'lanczos3' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
}

/** Source sample positions and weights along one axis, in float32 as onnxruntime computes them. */
function axisTaps(inSize: number, outSize: number) {
  const f = Math.fround;
  const scale = f(outSize / inSize);
  const lo = new Int32Array(outSize);
  const hi = new Int32Array(outSize);
  const wLo = new Float32Array(outSize);
  const wHi = new Float32Array(outSize);
  for (let o = 0; o < outSize; o++) {
    let x = f(f(f(o + 0.5) / scale) - 0.5);
    x = Math.max(0, Math.min(x, inSize - 1));
    const a = Math.min(Math.trunc(x), inSize - 1);
    const b = Math.min(a + 1, inSize - 1);
    lo[o] = a;
    hi[o] = b;
    if (a === b) {
      wLo[o] = 0.5;
      wHi[o] = 0.5;
    } else {
      wLo[o] = f(Math.abs(x - b));
      wHi[o] = f(Math.abs(x - a));
    }
  }
  return { lo, hi, wLo, wHi };
}

/** Bilinear resize of planar float data [channels, inH, inW] → [channels, outH, outW]. */
export function resizeBilinearPlanar(
  src: Float32Array,
  channels: number,
  inH: number,
  inW: number,
  outH: number,
  outW: number,
): Float32Array {
  const out = new Float32Array(channels * outH * outW);
  const xs = axisTaps(inW, outW);
  const ys = axisTaps(inH, outH);
  for (let c = 0; c < channels; c++) {
    const plane = c * inH * inW;
    const outPlane = c * outH * outW;
    for (let oy = 0; oy < outH; oy++) {
      const r1 = plane + ys.lo[oy] * inW;
      const r2 = plane + ys.hi[oy] * inW;
      const wy1 = ys.wLo[oy];
      const wy2 = ys.wHi[oy];
      const row = outPlane + oy * outW;
      for (let ox = 0; ox < outW; ox++) {
        const x1 = xs.lo[ox];
        const x2 = xs.hi[ox];
        const wx1 = xs.wLo[ox];
        const wx2 = xs.wHi[ox];
        out[row + ox] = wx1 * wy1 * src[r1 + x1] + wx2 * wy1 * src[r1 + x2] + wx1 * wy2 * src[r2 + x1] + wx2 * wy2 * src[r2 + x2];
      }
    }
  }
  return out;
}

/** 8-bit interleaved RGB → planar float [3, H, W] with x * rescale, then (x - mean) / std per channel. */
export function toNormalizedPlanar(img: RgbImage, rescale: number, mean: number[], std: number[]): Float32Array {
  const { width, height, data } = img;
  const plane = width * height;
  const out = new Float32Array(3 * plane);
  const f = Math.fround;
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < 3; c++) out[c * plane + p] = f(f(f(rescale) * data[p * 3 + c]) - mean[c]) / std[c];
  }
  return out;
}
