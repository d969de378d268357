// The photo library: import files, folders and uploads (validated with sharp), search by file name and
// by past questions and answers, remove (the file on disk is never touched).
import { randomUUID } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { ChatEntry, Photo } from '../../src-shared/api';
import { EngineError, isEngineError } from '../engine/errors';
import { ensureThumbnail, inspectImage } from './images';
import type { LibraryStore } from './library-store';
import { asStorageError } from './storage-error';

/** Extensions picked up when a folder is imported; files named one by one are checked whatever their name. */
const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.gif', '.tif', '.tiff', '.avif', '.heic', '.heif']);
/** Uploads arrive base64-encoded in one JSON request; beyond this a person should import the file by path. */
export const MAX_UPLOAD_BYTES = 100 * 1024 * 1024;

export interface ImportReport {
  added: Photo[];
  errors: Array<{ path: string; message: string }>;
}

export class Library {
  constructor(
    private readonly store: LibraryStore,
    private readonly dataDir: string,
  ) {}

  thumbnailFile(photoId: string): string {
    return path.join(this.dataDir, 'thumbnails', `${photoId}.jpg`);
  }

  /** The photo, or a clear error: every media and ask request goes through here, so only imported files are reachable. */
  require(photoId: string): Photo {
    const photo = this.store.photo(photoId);
    if (!photo) throw new EngineError('FILE_NOT_FOUND', `No photo with id '${photoId}' in the library`);
    return photo;
  }

  async thumbnail(photoId: string): Promise<string> {
    const photo = this.require(photoId);
    return ensureThumbnail(photo.path, this.thumbnailFile(photo.id));
  }

  /** Newest first; `query` matches file names and the questions and answers asked about a photo. */
  list(query?: string): Photo[] {
    const photos = this.store.photos().sort((a, b) => b.addedAt - a.addedAt || a.name.localeCompare(b.name));
    const words = (query ?? '').toLowerCase().split(/\s+/).filter(Boolean);
    if (words.length === 0) return photos;
    const texts = new Map<string, string[]>();
    for (const c of this.store.allChats()) texts.set(c.photoId, [...(texts.get(c.photoId) ?? []), chatText(c)]);
    return photos.filter((p) => {
      const haystack = [p.name, ...(texts.get(p.id) ?? [])].join('\n').toLowerCase();
      return words.every((w) => haystack.includes(w));
    });
  }

  async importPaths(paths: string[]): Promise<ImportReport> {
    const report: ImportReport = { added: [], errors: [] };
    for (const p of paths) {
      let files: string[];
      try {
        files = await expand(p);
      } catch (e) {
        report.errors.push({ path: p, message: messageOf(e) });
        continue;
      }
      for (const file of files) {
        try {
          report.added.push(await this.importFile(file));
        } catch (e) {
          if (!isEngineError(e) || e.code === 'DISK_FULL') throw e;
          report.errors.push({ path: file, message: e.message });
        }
      }
    }
    return report;
  }

  /** Saves an uploaded file into the data folder, then imports it like any other; refused files are not kept. */
  async importUpload(name: string, base64: string): Promise<Photo> {
    const data = Buffer.from(base64, 'base64');
    if (data.length === 0) throw new EngineError('NOT_AN_IMAGE', `${name}: the upload is empty`);
    if (data.length > MAX_UPLOAD_BYTES) {
      throw new EngineError('IMAGE_TOO_LARGE', `${name} is ${(data.length / 2 ** 20).toFixed(0)} MiB; uploads are limited to ${MAX_UPLOAD_BYTES / 2 ** 20} MiB. Import it by path instead.`);
    }
    const dir = path.join(this.dataDir, 'uploads');
    await fsp.mkdir(dir, { recursive: true });
    const file = path.join(dir, `${randomUUID().slice(0, 8)}-${safeFileName(name)}`);
    try {
      await fsp.writeFile(file, data);
    } catch (e) {
      await fsp.rm(file, { force: true });
      throw asStorageError(e, file);
    }
    try {
      return await this.importFile(file, name);
    } catch (e) {
      await fsp.rm(file, { force: true });
      throw e;
    }
  }

  async remove(photoId: string): Promise<void> {
    const photo = this.require(photoId);
    await this.store.removePhoto(photo.id);
    await fsp.rm(this.thumbnailFile(photo.id), { force: true });
  }

  /** Validates one file and adds it; a file already in the library is returned as it is. */
  async importFile(file: string, name = path.basename(file)): Promise<Photo> {
    const existing = this.store.photoByPath(file);
    if (existing) return existing;
    const info = await inspectImage(file, name);
    const id = randomUUID();
    await ensureThumbnail(file, this.thumbnailFile(id), name);
    const photo: Photo = { id, name, path: file, width: info.width, height: info.height, addedAt: Date.now() };
    try {
      await this.store.addPhoto(photo);
    } catch (e) {
      await fsp.rm(this.thumbnailFile(id), { force: true });
      throw e;
    }
    return photo;
  }
}

function chatText(c: ChatEntry): string {
  return [c.question, c.result?.full.text ?? '', c.result?.pruned.text ?? ''].join('\n');
}

/** A file stays itself; a folder becomes the images inside it, recursively, in name order. */
async function expand(p: string): Promise<string[]> {
  if (!path.isAbsolute(p)) throw new EngineError('BAD_ARGUMENT', `${p}: give an absolute path`);
  let stat;
  try {
    stat = await fsp.stat(p);
  } catch {
    throw new EngineError('FILE_NOT_FOUND', `${p}: no such file or folder`);
  }
  if (!stat.isDirectory()) return [path.resolve(p)];
  const entries = await fsp.readdir(p, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && IMAGE_EXTENSIONS.has(path.extname(e.name).toLowerCase()))
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

function safeFileName(name: string): string {
  const base = path.basename(name).replace(/[^\w.\- ]+/g, '_').slice(-120);
  return base === '' || base.startsWith('.') ? `upload${base}` : base;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
