// The resamplers the reference image processors use: 8-bit pixels through sharp as transformers.js does in Node
// (Lanczos through resize, the others through an affine scale), 8-bit RGB to normalised float planes, and
// onnxruntime's Resize(mode=cubic, half_pixel, no antialias) on float planes, which transformers.js runs for
// Phi-3-vision's `interpolate_4d`. Idefics3's bilinear step runs in onnxruntime itself (families/idefics3/pixel-graph.ts).
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

export type Interpolator = 'nearest' | 'bilinear' | 'bicubic' | 'lanczos';

/** PIL's resample codes as transformers.js maps them; box and hamming fall back to bilinear there too. */
export const PIL_RESAMPLE: Record<number, Interpolator> = {
  0: 'nearest',
  1: 'lanczos',
  2: 'bilinear',
  3: 'bicubic',
  4: 'bilinear',
  5: 'bilinear',
};

/** transformers.js's RawImage.resize in Node. */
export async function resizeLikePillow(img: RgbImage, width: number, height: number, interpolator: Interpolator): Promise<RgbImage> {
  if (img.width === width && img.height === height) return img;
  if (interpolator === 'lanczos') return resizeLanczos(img, width, height);
  // An affine scale rather than sharp's resize: it samples like Pillow, which is what the reference relies on.
  const { data, info } = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .affine([width / img.width, 0, 0, height / img.height], { interpolator })
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`resize: sharp returned ${info.channels} channels`);
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
}

/** onnxruntime's cubic kernel (cubic_coeff_a = -0.75) at the four taps around a sample with fraction `t`. */
function cubicWeights(t: number): [number, number, number, number] {
  const a = -0.75;
  const far = (d: number) => ((a * d - 5 * a) * d + 8 * a) * d - 4 * a; // 1 < d < 2
  const near = (d: number) => ((a + 2) * d - (a + 3)) * d * d + 1; // d <= 1
  return [far(t + 1), near(t), near(1 - t), far(2 - t)];
}

/** Taps and weights of Resize(mode=cubic, half_pixel) along one axis; taps outside the input repeat the edge. */
function cubicTaps(inSize: number, outSize: number) {
  const f = Math.fround;
  const scale = f(outSize / inSize);
  const index = new Int32Array(outSize * 4);
  const weight = new Float64Array(outSize * 4);
  for (let o = 0; o < outSize; o++) {
    const x = f(f(f(o + 0.5) / scale) - 0.5);
    const base = Math.floor(x);
    cubicWeights(x - base).forEach((w, k) => {
      index[o * 4 + k] = Math.min(inSize - 1, Math.max(0, base - 1 + k));
      weight[o * 4 + k] = w;
    });
  }
  return { index, weight };
}

/** Bicubic resize of planar float data [channels, inH, inW] → [channels, outH, outW], rows first, then columns. */
export function resizeBicubicPlanar(
  src: Float32Array,
  channels: number,
  inH: number,
  inW: number,
  outH: number,
  outW: number,
): Float32Array {
  const xs = cubicTaps(inW, outW);
  const ys = cubicTaps(inH, outH);
  const out = new Float32Array(channels * outH * outW);
  const rows = new Float64Array(inH * outW);
  for (let c = 0; c < channels; c++) {
    const plane = c * inH * inW;
    for (let y = 0; y < inH; y++) {
      for (let ox = 0; ox < outW; ox++) {
        let sum = 0;
        for (let k = 0; k < 4; k++) sum += xs.weight[ox * 4 + k] * src[plane + y * inW + xs.index[ox * 4 + k]];
        rows[y * outW + ox] = sum;
      }
    }
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        let sum = 0;
        for (let k = 0; k < 4; k++) sum += ys.weight[oy * 4 + k] * rows[ys.index[oy * 4 + k] * outW + ox];
        out[c * outH * outW + oy * outW + ox] = sum;
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
