// Phi-3-vision's HD transform, step for step as the reference (transformers.js Phi3VImageProcessor in Node):
// resize the photo so that (width / 336) x ceil(height / 336) crops stay within `num_crops` (the widest such
// scale), rescale + normalize, pad to multiples of 336 with white (centered), then a 336 px global view of the
// padded image and a sqrt(num_crops) x sqrt(num_crops) grid of crops of it, each resized to 336 px (bicubic).
// `image_sizes` (the padded size) tells the vision encoder that the first rows x cols crops carry the photo.
import type { RgbImage } from '../../image/decode-image';
import { PIL_RESAMPLE, resizeBicubicPlanar, resizeLikePillow, toNormalizedPlanar, type Interpolator } from '../../image/resize';
import { EngineError } from '../../errors';
import type { Json } from '../../model/read-model-folder';

export const CROP_SIZE = 336;

export interface Phi3vImageSettings {
  numCrops: number;
  interpolator: Interpolator;
  rescale: number;
  mean: number[];
  std: number[];
}

export function phi3vImageSettings(pre: Json): Phi3vImageSettings {
  const numCrops: number = pre.num_crops ?? 4;
  if (!Number.isInteger(numCrops) || numCrops < 4 || !Number.isInteger(Math.sqrt(numCrops))) {
    throw new EngineError('MODEL_MISMATCH', `phi3_v: num_crops must be a square number of at least 4, got ${numCrops}`);
  }
  const triple = (v: unknown, fallback: number[]): number[] => (Array.isArray(v) ? v.map(Number) : fallback);
  return {
    numCrops,
    interpolator: PIL_RESAMPLE[pre.resample ?? 2] ?? 'bilinear',
    rescale: pre.do_rescale === false ? 1 : (pre.rescale_factor ?? 1 / 255),
    mean: triple(pre.image_mean, [0.48145466, 0.4578275, 0.40821073]),
    std: triple(pre.image_std, [0.26862954, 0.26130258, 0.27577711]),
  };
}

export interface Region {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Phi3vPixels {
  /** [1 + numCrops, 3, 336, 336]: the global view, then the crop grid row by row. */
  pixelValues: Float32Array;
  /** The padded HD size in pixels (multiples of 336), as `image_sizes` gives it. */
  paddedHeight: number;
  paddedWidth: number;
  /** Each view of pixelValues on the photo, in fractions of its width and height (crops may reach past 0..1). */
  regions: Region[];
}

/** The HD size: the largest scale whose crops fit in numCrops, width first (floored as the reference). */
export function hdSize(width: number, height: number, numCrops: number): [number, number] {
  const ratio = width / height;
  let scale = 1;
  while (scale * Math.ceil(scale / ratio) <= numCrops) scale += 1;
  scale -= 1;
  const newWidth = Math.floor(scale * CROP_SIZE);
  return [newWidth, Math.floor(newWidth / ratio)];
}

/** One crop's window in the padded image: rows and columns of equal size, the last ones flush with the edge. */
function cropWindow(index: number, side: number, height: number, width: number) {
  const h = Math.floor(height / side);
  const w = Math.floor(width / side);
  const row = Math.floor(index / side);
  const col = index % side;
  return { top: row === side - 1 ? height - h : row * h, left: col === side - 1 ? width - w : col * w, h, w };
}

function slicePlanar(src: Float32Array, height: number, width: number, win: { top: number; left: number; h: number; w: number }) {
  const out = new Float32Array(3 * win.h * win.w);
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < win.h; y++) {
      const from = c * height * width + (win.top + y) * width + win.left;
      out.set(src.subarray(from, from + win.w), c * win.h * win.w + y * win.w);
    }
  }
  return out;
}

export async function preprocessPhi3v(image: RgbImage, s: Phi3vImageSettings): Promise<Phi3vPixels> {
  const [targetWidth, targetHeight] = hdSize(image.width, image.height, s.numCrops);
  if (targetWidth < 1 || targetHeight < 1) {
    // The reference does not turn tall photos: one taller than num_crops times its width gets no crop at all.
    throw new EngineError(
      'BAD_ARGUMENT',
      `a ${image.width}x${image.height} photo is more than ${s.numCrops} times taller than wide, which Phi-3-vision's processor cannot crop`,
    );
  }
  const resized = await resizeLikePillow(image, targetWidth, targetHeight, s.interpolator);
  const { width, height } = resized;
  const planes = toNormalizedPlanar(resized, s.rescale, s.mean, s.std);

  const paddedHeight = CROP_SIZE * Math.ceil(height / CROP_SIZE);
  const paddedWidth = CROP_SIZE * Math.ceil(width / CROP_SIZE);
  const top = Math.floor((paddedHeight - height) / 2);
  const left = Math.floor((paddedWidth - width) / 2);
  const padded = new Float32Array(3 * paddedHeight * paddedWidth);
  for (let c = 0; c < 3; c++) {
    const plane = padded.subarray(c * paddedHeight * paddedWidth, (c + 1) * paddedHeight * paddedWidth);
    // White after normalization: padding comes after rescale and normalize.
    plane.fill((1 - s.mean[c]) / s.std[c]);
    for (let y = 0; y < height; y++) {
      plane.set(planes.subarray(c * height * width + y * width, c * height * width + (y + 1) * width), (y + top) * paddedWidth + left);
    }
  }

  const side = Math.sqrt(s.numCrops);
  const view = 3 * CROP_SIZE * CROP_SIZE;
  const pixelValues = new Float32Array((1 + s.numCrops) * view);
  pixelValues.set(resizeBicubicPlanar(padded, 3, paddedHeight, paddedWidth, CROP_SIZE, CROP_SIZE), 0);
  // A crop over the white padding reaches outside 0..1 by as much: its tokens keep their true place and size,
  // and the overlay clips what lies beyond the photo.
  const region = (win: { top: number; left: number; h: number; w: number }): Region => ({
    x: (win.left - left) / width,
    y: (win.top - top) / height,
    width: win.w / width,
    height: win.h / height,
  });
  const regions = [{ x: 0, y: 0, width: 1, height: 1 }];
  for (let i = 0; i < s.numCrops; i++) {
    const win = cropWindow(i, side, paddedHeight, paddedWidth);
    const crop = resizeBicubicPlanar(slicePlanar(padded, paddedHeight, paddedWidth, win), 3, win.h, win.w, CROP_SIZE, CROP_SIZE);
    pixelValues.set(crop, (1 + i) * view);
    regions.push(region(win));
  }
  return { pixelValues, paddedHeight, paddedWidth, regions };
}
