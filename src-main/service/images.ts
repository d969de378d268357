// Image checks and renditions for the library, all through sharp: what import accepts, thumbnails
// (cached on disk) and the EXIF-rotated original for display.
import { promises as fsp, type Stats } from 'node:fs';
import path from 'node:path';
import sharp, { type Metadata } from 'sharp';
import { IMAGE_FORMAT_NAMES, IMAGE_FORMATS } from '../../src-shared/image-formats';
import { EngineError } from '../engine/errors';
// Import refuses what the engine would refuse to decode: one limit and one list of formats for both.
import { isReadablePhoto, isUndecodableHeif, MAX_IMAGE_PIXELS } from '../engine/image/decode-image';
import { writeFileAtomic } from '../engine/storage/atomic-write';

export const THUMB_SIZE = 320;

/** Formats a browser shows as they are; anything else (or a rotated photo) is re-encoded for display. */
const BROWSER_FORMATS: Record<string, string> = Object.fromEntries(
  IMAGE_FORMATS.filter((f) => ['jpeg', 'png', 'webp', 'gif'].includes(f.sharp)).map((f) => [f.sharp, f.mime]),
);

export interface ImageInfo {
  format: string;
  /** Size as displayed, after EXIF orientation. */
  width: number;
  height: number;
  orientation: number;
}

/** What a directory entry that is neither a file nor a folder is, in words. */
export function specialFileKind(stat: Pick<Stats, 'isFIFO' | 'isSocket' | 'isCharacterDevice' | 'isBlockDevice'>): string {
  if (stat.isFIFO()) return 'a named pipe';
  if (stat.isSocket()) return 'a socket';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

/**
 * sharp opens a path in one of libuv's few worker threads, and opening a named pipe or a device blocks there until
 * something writes to it: four such files stalled every file operation of the process (static files included).
 * stat() never blocks on them, so only what it calls a regular file is ever handed to sharp.
 */
export async function requireRegularFile(file: string, name = path.basename(file)): Promise<void> {
  let stat: Stats;
  try {
    stat = await fsp.stat(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new EngineError('FILE_NOT_FOUND', `${name}: file not found`);
    throw new EngineError('FILE_NOT_FOUND', `${name} cannot be read: ${oneLine(e)}`);
  }
  if (stat.isDirectory()) throw new EngineError('NOT_AN_IMAGE', `${name} is a folder, not a photo`);
  if (!stat.isFile()) throw new EngineError('NOT_AN_IMAGE', `${name} is ${specialFileKind(stat)}, not a photo; it was not opened`);
}

/**
 * Reads the header and refuses what the engine could not use, with a message naming the file as the person
 * knows it (`name`: an upload's original name, not the stored copy's).
 */
export async function inspectImage(file: string, name = path.basename(file)): Promise<ImageInfo> {
  await requireRegularFile(file, name);
  let meta: Metadata;
  try {
    meta = await sharp(file, { limitInputPixels: false }).metadata();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new EngineError('FILE_NOT_FOUND', `${name}: file not found`);
    const message = oneLine(e);
    if (/unsupported image format/i.test(message))
      throw new EngineError('NOT_AN_IMAGE', `${name} is not an image the app can read (${IMAGE_FORMAT_NAMES})`);
    throw new EngineError('CORRUPT_IMAGE', `${name} looks like an image but cannot be read: ${message}`);
  }
  if (isUndecodableHeif(meta)) {
    throw new EngineError('NOT_AN_IMAGE', `${name} is an HEIC photo, which the app cannot decode; convert it to JPEG or AVIF first`);
  }
  if (!isReadablePhoto(meta)) {
    throw new EngineError(
      'NOT_AN_IMAGE',
      `${name} is a ${(meta.format ?? 'unknown').toUpperCase()} file, not a photo format the app reads (${IMAGE_FORMAT_NAMES})`,
    );
  }
  if (!meta.width || !meta.height) throw new EngineError('CORRUPT_IMAGE', `${name} has no image size in its header`);
  const pixels = meta.width * meta.height;
  if (pixels > MAX_IMAGE_PIXELS) {
    throw new EngineError(
      'IMAGE_TOO_LARGE',
      `${name} is ${meta.width}x${meta.height} (${(pixels / 1e6).toFixed(0)} MP); the limit is ${MAX_IMAGE_PIXELS / 1e6} MP. Downscale it first.`,
    );
  }
  const oriented = meta.autoOrient ?? { width: meta.width, height: meta.height };
  return { format: meta.format, width: oriented.width, height: oriented.height, orientation: meta.orientation ?? 1 };
}

/**
 * Writes the thumbnail (upright, longest edge THUMB_SIZE, JPEG) unless it already exists. Decoding the
 * whole file here is also what catches truncated or damaged data that a valid header hides.
 */
export async function ensureThumbnail(file: string, thumbFile: string, name = path.basename(file)): Promise<string> {
  try {
    await fsp.access(thumbFile);
    return thumbFile;
  } catch {
    // not cached yet
  }
  await requireRegularFile(file, name);
  let data: Buffer;
  try {
    data = await sharp(file, { limitInputPixels: MAX_IMAGE_PIXELS, failOn: 'error' })
      .autoOrient()
      .resize(THUMB_SIZE, THUMB_SIZE, { fit: 'inside', withoutEnlargement: true })
      .flatten({ background: '#ffffff' })
      .jpeg({ quality: 82 })
      .toBuffer();
  } catch (e) {
    throw new EngineError('CORRUPT_IMAGE', `${name} cannot be decoded: ${oneLine(e)}`);
  }
  // Atomic, so a crash or a power cut never leaves a half thumbnail that the cache would trust.
  await writeFileAtomic(thumbFile, data);
  return thumbFile;
}

export interface Rendition {
  contentType: string;
  data: Buffer;
}

/** The photo as a browser should show it: the file itself when it is upright and displayable, else an upright JPEG. */
export async function displayRendition(file: string): Promise<Rendition> {
  const info = await inspectImage(file);
  const contentType = BROWSER_FORMATS[info.format];
  if (contentType && info.orientation === 1) return { contentType, data: await fsp.readFile(file) };
  const data = await sharp(file, { limitInputPixels: MAX_IMAGE_PIXELS }).autoOrient().jpeg({ quality: 90 }).toBuffer();
  return { contentType: 'image/jpeg', data };
}

/** libvips spreads its complaint over several, often repeated, lines; people need it once, on one line. */
function oneLine(e: unknown): string {
  const lines = (e instanceof Error ? e.message : String(e))
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return [...new Set(lines)].join(' ').slice(0, 300);
}
