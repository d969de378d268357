// Where tests find the committed fixture models and the sample photos (test-assets/photos, with their licences).
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(import.meta.dirname, '../../..');
export const PHOTOS_DIR = join(REPO_ROOT, 'test-assets/photos');

export const fixtureDir = (name: string) => join(REPO_ROOT, 'models/fixtures', name);
export const photo = (name: string) => join(PHOTOS_DIR, name);
/** A real 64x48 HEVC-coded HEIC (libheif's `heif-enc -q 50`): sharp reads its header but cannot decode it. */
export const HEIC_PHOTO = join(REPO_ROOT, 'src-main/engine/test/image/testdata/red-64x48.heic');
