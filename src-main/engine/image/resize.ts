// Lanczos on 8-bit pixels through sharp (as transformers.js does in Node), and 8-bit RGB to normalised float
// planes. The bilinear resize on float planes runs in onnxruntime itself (families/idefics3/pixel-graph.ts).
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
