// LLaVA's CLIP image processing, step for step as the reference (transformers.js CLIPImageProcessor in Node):
// resize so the shortest edge is `size.shortest_edge` with sharp (bicubic/bilinear/nearest through an affine
// transform, Lanczos through resize), center-crop to `crop_size` (black padding where the image is smaller),
// then rescale + normalize into one [3, H, W] plane set.
import type { RgbImage } from '../../image/decode-image';
import { PIL_RESAMPLE, resizeLikePillow, toNormalizedPlanar, type Interpolator } from '../../image/resize';
import type { Json } from '../../model/read-model-folder';

export interface ClipImageSettings {
  doResize: boolean;
  shortestEdge: number;
  interpolator: Interpolator;
  doCenterCrop: boolean;
  cropWidth: number;
  cropHeight: number;
  rescale: number;
  mean: number[];
  std: number[];
}

export function clipImageSettings(pre: Json): ClipImageSettings {
  const triple = (v: unknown, fallback: number[]): number[] =>
    Array.isArray(v) ? v.map(Number) : typeof v === 'number' ? [v, v, v] : fallback;
  const shortestEdge = typeof pre.size === 'number' ? pre.size : (pre.size?.shortest_edge ?? 224);
  const crop =
    typeof pre.crop_size === 'number' ? { width: pre.crop_size, height: pre.crop_size } : (pre.crop_size ?? { width: 224, height: 224 });
  return {
    doResize: pre.do_resize ?? true,
    shortestEdge,
    interpolator: PIL_RESAMPLE[pre.resample ?? 3] ?? 'bicubic',
    doCenterCrop: pre.do_center_crop ?? true,
    cropWidth: crop.width,
    cropHeight: crop.height,
    rescale: pre.do_rescale === false ? 1 : (pre.rescale_factor ?? 1 / 255),
    mean: pre.do_normalize === false ? [0, 0, 0] : triple(pre.image_mean, [0.48145466, 0.4578275, 0.40821073]),
    std: pre.do_normalize === false ? [1, 1, 1] : triple(pre.image_std, [0.26862954, 0.26130258, 0.27577711]),
  };
}

/** Target size with the shortest edge at `shortestEdge` (up or down), rounded as the reference rounds. */
export function shortestEdgeSize(width: number, height: number, shortestEdge: number): [number, number] {
  const factor = Math.max(shortestEdge / width, shortestEdge / height);
  return [Math.floor(Number((width * factor).toFixed(2))), Math.floor(Number((height * factor).toFixed(2)))];
}

export interface CropWindow {
  /** Offsets of the crop in the resized image; negative where the crop is padded. */
  left: number;
  top: number;
}

/** Where a centered crop starts (floored as the reference does). */
export function centerCropWindow(width: number, height: number, cropWidth: number, cropHeight: number): CropWindow {
  return { left: Math.floor((width - cropWidth) / 2), top: Math.floor((height - cropHeight) / 2) };
}

/** Centered crop; where the image is smaller than the crop the rest is black, as sharp's extend pads. */
export function centerCrop(img: RgbImage, cropWidth: number, cropHeight: number): RgbImage {
  if (img.width === cropWidth && img.height === cropHeight) return img;
  const { left, top } = centerCropWindow(img.width, img.height, cropWidth, cropHeight);
  const out = new Uint8Array(cropWidth * cropHeight * 3);
  for (let y = 0; y < cropHeight; y++) {
    const sy = y + top;
    if (sy < 0 || sy >= img.height) continue;
    const x0 = Math.max(0, -left);
    const x1 = Math.min(cropWidth, img.width - left);
    if (x1 > x0) out.set(img.data.subarray((sy * img.width + x0 + left) * 3, (sy * img.width + x1 + left) * 3), (y * cropWidth + x0) * 3);
  }
  return { data: out, width: cropWidth, height: cropHeight };
}

export interface ClipPixels {
  /** [3, height, width], normalized. */
  pixelValues: Float32Array;
  width: number;
  height: number;
  /** The crop in the original photo, in fractions of its width and height. */
  region: { x: number; y: number; width: number; height: number };
}

export async function preprocessClip(image: RgbImage, s: ClipImageSettings): Promise<ClipPixels> {
  const [rw, rh] = s.doResize ? shortestEdgeSize(image.width, image.height, s.shortestEdge) : [image.width, image.height];
  const resized = await resizeLikePillow(image, rw, rh, s.interpolator);
  const cropped = s.doCenterCrop ? centerCrop(resized, s.cropWidth, s.cropHeight) : resized;
  const win = s.doCenterCrop ? centerCropWindow(resized.width, resized.height, s.cropWidth, s.cropHeight) : { left: 0, top: 0 };
  const clamp = (v: number) => Math.min(1, Math.max(0, v));
  const x = clamp(win.left / resized.width);
  const y = clamp(win.top / resized.height);
  return {
    pixelValues: toNormalizedPlanar(cropped, s.rescale, s.mean, s.std),
    width: cropped.width,
    height: cropped.height,
    region: {
      x,
      y,
      width: clamp((win.left + cropped.width) / resized.width) - x,
      height: clamp((win.top + cropped.height) / resized.height) - y,
    },
  };
}
