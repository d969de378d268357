// Photos of unusual shapes, cut from the sample photos at test time: a wide panorama, a tall strip and a tiny
// thumbnail exercise the crop arithmetic of processors that tile by aspect ratio (Phi-3-vision's HD transform).
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { photo } from './paths';

const DERIVED: Record<string, (dir: string) => Promise<void>> = {
  // 451 x 112: four times wider than tall.
  'panorama.png': (dir) =>
    sharp(photo('chelsea.png'))
      .extract({ left: 0, top: 90, width: 451, height: 112 })
      .toFile(join(dir, 'panorama.png'))
      .then(() => undefined),
  // 160 x 400: two and a half times taller than wide.
  'tall.png': (dir) =>
    sharp(photo('astronaut.png'))
      .extract({ left: 180, top: 60, width: 160, height: 400 })
      .toFile(join(dir, 'tall.png'))
      .then(() => undefined),
  // 24 x 18: far smaller than one crop; the processor scales it up.
  'tiny.png': (dir) =>
    sharp(photo('coins.png'))
      .resize(24, 18, { fit: 'fill' })
      .toFile(join(dir, 'tiny.png'))
      .then(() => undefined),
};

export const DERIVED_PHOTOS = Object.keys(DERIVED);

/** Writes the derived photos into a fresh folder and returns a lookup: derived names there, others from test-assets. */
export async function withDerivedPhotos(): Promise<(name: string) => string> {
  const dir = join(tmpdir(), `vtc-derived-photos-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  await Promise.all(Object.values(DERIVED).map((write) => write(dir)));
  return (name) => (name in DERIVED ? join(dir, name) : photo(name));
}
