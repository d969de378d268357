// Decodes a photo into 8-bit RGB the way the reference processors do (sharp, EXIF orientation applied, alpha
// dropped, grey replicated), and turns every way a file can be wrong into one specific, readable error.
import { readFile, stat } from 'node:fs/promises';
import sharp, { type Metadata } from 'sharp';
import { IMAGE_FORMAT_NAMES, isSharpImageFormat } from '../../../src-shared/image-formats';
import { EngineError } from '../errors';

export interface RgbImage {
  /** Interleaved RGB, row-major, `width * height * 3` bytes. */
  data: Uint8Array;
  width: number;
  height: number;
}

/** Beyond this a photo is refused rather than risking the machine's memory (a 100 MP image is ~300 MB as RGB). */
export const MAX_IMAGE_PIXELS = 100_000_000;

// Signatures of image formats: a file that starts like one sharp decodes but fails to decode is corrupt; one that
// starts like a format sharp's prebuilt libvips lacks (BMP, HEVC-coded HEIC) is refused by name; anything else is
// simply not an image.
const SIGNATURES: Array<[string, number[]]> = [
  ['PNG', [0x89, 0x50, 0x4e, 0x47]],
  ['JPEG', [0xff, 0xd8, 0xff]],
  ['GIF', [0x47, 0x49, 0x46, 0x38]],
  ['WebP', [0x52, 0x49, 0x46, 0x46]],
  ['TIFF', [0x49, 0x49, 0x2a, 0x00]],
  ['TIFF', [0x4d, 0x4d, 0x00, 0x2a]],
  ['BMP', [0x42, 0x4d]],
];
const UNSUPPORTED = new Set(['BMP', 'HEIC']);
// Major brands of the ISO-BMFF 'ftyp' box: AVIF decodes, HEIC does not; other brands are videos.
const AVIF_BRANDS = new Set(['avif', 'avis']);
const HEIC_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'mif1', 'msf1']);

/**
 * sharp's prebuilt libvips reads the header of any HEIF container but decodes only AV1-coded ones (AVIF): an
 * HEVC-coded HEIC photo passes metadata() and fails only at decode, so it has to be refused from its header.
 */
export function isUndecodableHeif(meta: Metadata): boolean {
  return meta.format === 'heif' && meta.compression !== 'av1';
}

/**
 * Whether a header sharp read belongs to a photo the app takes: sharp also reads SVG (drawn, not photographed,
 * and able to pull in other files), which no door of the app accepts.
 */
export function isReadablePhoto(meta: Metadata): boolean {
  return isSharpImageFormat(meta.format) && !isUndecodableHeif(meta);
}

const unsupported = (label: string, format: string) =>
  new EngineError('NOT_AN_IMAGE', `${label}: ${format} images are not supported (convert it to ${IMAGE_FORMAT_NAMES})`);

function looksLikeImage(buf: Uint8Array): string | undefined {
  for (const [name, sig] of SIGNATURES) if (sig.every((b, i) => buf[i] === b)) return name;
  if (buf.length >= 12 && String.fromCharCode(...buf.subarray(4, 8)) === 'ftyp') {
    const brand = String.fromCharCode(...buf.subarray(8, 12));
    if (AVIF_BRANDS.has(brand)) return 'AVIF';
    if (HEIC_BRANDS.has(brand)) return 'HEIC';
  }
  return undefined;
}

function toRgb(raw: Buffer, width: number, height: number, channels: number): Uint8Array {
  if (channels === 3) return new Uint8Array(raw.buffer, raw.byteOffset, raw.length);
  const out = new Uint8Array(width * height * 3);
  for (let p = 0, i = 0; p < width * height; p++, i += channels) {
    // 1 or 2 channels: grey (+ alpha) → replicate grey; 4 channels: RGBA → drop alpha (no compositing, as reference).
    const grey = channels < 3;
    out[p * 3] = raw[i];
    out[p * 3 + 1] = grey ? raw[i] : raw[i + 1];
    out[p * 3 + 2] = grey ? raw[i] : raw[i + 2];
  }
  return out;
}

export async function decodeImage(buf: Uint8Array, label: string): Promise<RgbImage> {
  const format = looksLikeImage(buf);
  let meta: Metadata;
  try {
    meta = await sharp(buf, { limitInputPixels: false }).metadata();
  } catch {
    if (format && UNSUPPORTED.has(format)) throw unsupported(label, format);
    if (format) throw new EngineError('CORRUPT_IMAGE', `${label}: the ${format} file is corrupt and cannot be decoded`);
    throw new EngineError('NOT_AN_IMAGE', `${label}: not an image (expected ${IMAGE_FORMAT_NAMES})`);
  }
  if (isUndecodableHeif(meta)) throw unsupported(label, 'HEIC');
  if (!isReadablePhoto(meta)) throw unsupported(label, (meta.format ?? 'unknown').toUpperCase());
  const pixels = (meta.width ?? 0) * (meta.height ?? 0);
  if (pixels > MAX_IMAGE_PIXELS) {
    throw new EngineError(
      'IMAGE_TOO_LARGE',
      `${label}: ${meta.width}x${meta.height} is too large (${(pixels / 1e6).toFixed(0)} MP; the limit is ${MAX_IMAGE_PIXELS / 1e6} MP)`,
    );
  }
  try {
    const { data, info } = await sharp(buf, { limitInputPixels: MAX_IMAGE_PIXELS, failOn: 'error' })
      .rotate()
      .raw()
      .toBuffer({ resolveWithObject: true });
    return { data: toRgb(data, info.width, info.height, info.channels), width: info.width, height: info.height };
  } catch (e) {
    throw new EngineError('CORRUPT_IMAGE', `${label}: the image is corrupt or truncated (${(e as Error).message.split('\n')[0]})`);
  }
}

export async function decodeImageFile(path: string): Promise<RgbImage> {
  let info;
  try {
    info = await stat(path);
  } catch {
    throw new EngineError('FILE_NOT_FOUND', `image not found: ${path}`);
  }
  if (!info.isFile()) throw new EngineError('NOT_AN_IMAGE', `${path}: not a file`);
  return decodeImage(await readFile(path), path);
}
