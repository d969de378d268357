// Where tests find the committed fixture models and the shared photos.
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(import.meta.dirname, '../../..');
export const PHOTOS_DIR = resolve(REPO_ROOT, '../shared/photos');

export const fixtureDir = (name: string) => join(REPO_ROOT, 'models/fixtures', name);
export const photo = (name: string) => join(PHOTOS_DIR, name);
