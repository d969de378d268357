import { CLIPImageProcessor, RawImage } from '@huggingface/transformers';
import { describe, expect, it } from 'vitest';
import { decodeImageFile, type RgbImage } from '../../image/decode-image';
import { photo } from '../../test/paths';
import { centerCrop, centerCropWindow, clipImageSettings, preprocessClip, shortestEdgeSize } from './image-processor';

// llava-hf/llava-1.5's processor settings, shrunk to a small crop so the oracle runs fast.
const CONFIG = {
  image_processor_type: 'CLIPImageProcessor',
  do_convert_rgb: true,
  do_resize: true,
  size: { shortest_edge: 96 },
  resample: 3,
  do_center_crop: true,
  crop_size: { height: 96, width: 96 },
  do_rescale: true,
  rescale_factor: 1 / 255,
  do_normalize: true,
  image_mean: [0.48145466, 0.4578275, 0.40821073],
  image_std: [0.26862954, 0.26130258, 0.27577711],
};

function patterned(width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    const x = i % width;
    const y = Math.floor(i / width);
    data.set([(x * 7 + y * 3) % 256, (x * y) % 251, ((x ^ y) * 5) % 256], i * 3);
  }
  return { data, width, height };
}

async function reference(img: RgbImage, config: Record<string, unknown>): Promise<Float32Array> {
  const processor = new CLIPImageProcessor(config);
  const out = await processor(new RawImage(img.data, img.width, img.height, 3));
  return out.pixel_values.data as Float32Array;
}

describe('shortestEdgeSize', () => {
  it('scales the short side to the target and the long side in proportion, floored', () => {
    expect(shortestEdgeSize(300, 200, 96)).toEqual([144, 96]);
    expect(shortestEdgeSize(451, 300, 96)).toEqual([144, 96]); // 451 * 0.32 = 144.32
    expect(shortestEdgeSize(50, 80, 96)).toEqual([96, 153]); // upscales: 80 * 1.92 = 153.6
    expect(shortestEdgeSize(96, 96, 96)).toEqual([96, 96]);
  });
});

describe('centerCrop', () => {
  it('takes the floored centre window', () => {
    expect(centerCropWindow(144, 96, 96, 96)).toEqual({ left: 24, top: 0 });
    expect(centerCropWindow(97, 99, 96, 96)).toEqual({ left: 0, top: 1 });
    const img = patterned(5, 3);
    const out = centerCrop(img, 3, 1);
    // Row 1, columns 1..3 of the source.
    expect(Array.from(out.data)).toEqual(Array.from(img.data.subarray((1 * 5 + 1) * 3, (1 * 5 + 4) * 3)));
  });

  it('pads with black where the image is smaller than the crop', () => {
    const img: RgbImage = { data: new Uint8Array([10, 20, 30]), width: 1, height: 1 };
    const out = centerCrop(img, 3, 3);
    expect(centerCropWindow(1, 1, 3, 3)).toEqual({ left: -1, top: -1 });
    expect(Array.from(out.data.subarray(12, 15))).toEqual([10, 20, 30]);
    expect(out.data.reduce((a, b) => a + b, 0)).toBe(60);
  });
});

describe('clipImageSettings', () => {
  it('reads sizes, resample and normalisation, with CLIP defaults where absent', () => {
    const s = clipImageSettings(CONFIG);
    expect([s.shortestEdge, s.cropWidth, s.cropHeight, s.interpolator]).toEqual([96, 96, 96, 'bicubic']);
    const d = clipImageSettings({});
    expect([d.shortestEdge, d.cropWidth, d.interpolator, d.mean[0], d.std[2]]).toEqual([224, 224, 'bicubic', 0.48145466, 0.27577711]);
    expect(clipImageSettings({ size: 64, crop_size: 64, resample: 2 })).toMatchObject({
      shortestEdge: 64,
      cropWidth: 64,
      interpolator: 'bilinear',
    });
  });
});

describe('preprocessClip matches transformers.js CLIPImageProcessor', () => {
  const cases: Array<[string, () => Promise<RgbImage>, Record<string, unknown>]> = [
    ['a wide pattern (downscale, crop the sides)', async () => patterned(211, 130), CONFIG],
    ['a tall small pattern (upscale)', async () => patterned(60, 83), CONFIG],
    ['an exact-size image (no resize, no crop)', async () => patterned(96, 96), CONFIG],
    ['chelsea.png', () => decodeImageFile(photo('chelsea.png')), CONFIG],
    ['rocket.jpg with bilinear', () => decodeImageFile(photo('rocket.jpg')), { ...CONFIG, resample: 2 }],
    ['coins.png with Lanczos', () => decodeImageFile(photo('coins.png')), { ...CONFIG, resample: 1 }],
  ];
  it.each(cases)('%s', async (_name, load, config) => {
    const img = await load();
    const ours = await preprocessClip(img, clipImageSettings(config));
    const ref = await reference(img, config);
    expect([ours.height, ours.width]).toEqual([96, 96]);
    expect(ours.pixelValues.length).toBe(ref.length);
    let maxDiff = 0;
    for (let i = 0; i < ref.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ours.pixelValues[i] - ref[i]));
    expect(maxDiff).toBeLessThan(1e-4);
  });

  it('reports the crop as a region of the photo', async () => {
    const { region } = await preprocessClip(patterned(300, 200), clipImageSettings(CONFIG));
    // 300x200 -> 144x96, crop columns 24..120 of 144.
    expect(region.x).toBeCloseTo(24 / 144);
    expect(region.width).toBeCloseTo(96 / 144);
    expect([region.y, region.height]).toEqual([0, 1]);
  });
});
