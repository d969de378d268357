// The photo library: import files, folders and uploads (validated with sharp), search by file name and
// by past questions and answers, remove (the file on disk is never touched).
import { randomUUID } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { ChatEntry, ImportProblem, ImportReport, Photo } from '../../src-shared/api';
import { extensionOf, IMAGE_EXTENSIONS, UNREADABLE_PHOTO_EXTENSIONS } from '../../src-shared/image-formats';
import { EngineError, isEngineError } from '../engine/errors';
import { ensureThumbnail, inspectImage, specialFileKind } from './images';
import type { LibraryStore } from './library-store';
import { writeFileAtomic } from '../engine/storage/atomic-write';

/**
 * Endings picked up when a folder is imported: the photos the app reads, and those it cannot (HEIC, BMP) so the
 * report says why each was refused. Files named one by one are checked whatever their name.
 */
const FOLDER_EXTENSIONS = new Set([...IMAGE_EXTENSIONS, ...UNREADABLE_PHOTO_EXTENSIONS]);
/** Uploads arrive base64-encoded in one JSON request; beyond this a person should import the file by path. */
export const MAX_UPLOAD_BYTES = 100 * 1024 * 1024;

export interface ImportProgress {
  /** Files finished so far, of `total` found (0 while the folders are still being read). */
  done: number;
  total: number;
  /** The file (or, while folders are read, the folder) being worked on. */
  path: string;
}

export interface ImportOptions {
  /** Stops the import between two files; what was added stays, and the report says `cancelled`. */
  signal?: AbortSignal;
  onProgress?: (progress: ImportProgress) => void;
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

  async importPaths(paths: string[], { signal, onProgress }: ImportOptions = {}): Promise<ImportReport> {
    const report: ImportReport = { added: [], errors: [], cancelled: false };
    const files: string[] = [];
    for (const p of paths) {
      if (signal?.aborted) break;
      onProgress?.({ done: 0, total: 0, path: p });
      try {
        files.push(...(await expand(p, report.errors, signal)));
      } catch (e) {
        report.errors.push({ path: p, message: messageOf(e) });
      }
    }
    for (const [done, file] of files.entries()) {
      if (signal?.aborted) break;
      onProgress?.({ done, total: files.length, path: file });
      try {
        report.added.push(await this.importFile(file));
      } catch (e) {
        if (!isEngineError(e) || e.code === 'DISK_FULL') throw e;
        report.errors.push({ path: file, message: e.message });
      }
    }
    report.cancelled = signal?.aborted ?? false;
    return report;
  }

  /** Saves an uploaded file into the data folder, then imports it like any other; refused files are not kept. */
  async importUpload(name: string, base64: string): Promise<Photo> {
    const data = Buffer.from(base64, 'base64');
    if (data.length === 0) throw new EngineError('NOT_AN_IMAGE', `${name}: the upload is empty`);
    if (data.length > MAX_UPLOAD_BYTES) {
      throw new EngineError(
        'IMAGE_TOO_LARGE',
        `${name} is ${(data.length / 2 ** 20).toFixed(0)} MiB; uploads are limited to ${MAX_UPLOAD_BYTES / 2 ** 20} MiB. Import it by path instead.`,
      );
    }
    const file = path.join(this.dataDir, 'uploads', `${randomUUID().slice(0, 8)}-${safeFileName(name)}`);
    // Durable before the library records it: a power cut must not leave a record of a photo that is not there.
    await writeFileAtomic(file, data);
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

/**
 * A file stays itself; a folder becomes the photos inside it, recursively, in name order. Only regular files
 * and folders are taken, and nothing is opened here: a named pipe, socket or device would block the thread that
 * opened it. Links inside a folder are not followed, so only what lies under the folder the person picked is
 * imported; one that points elsewhere is reported. A path the person named is followed: they chose it.
 */
async function expand(p: string, refused: ImportProblem[], signal?: AbortSignal): Promise<string[]> {
  if (!path.isAbsolute(p)) throw new EngineError('BAD_ARGUMENT', `${p}: give an absolute path`);
  let stat;
  try {
    stat = await fsp.stat(p);
  } catch {
    throw new EngineError('FILE_NOT_FOUND', `${p}: no such file or folder`);
  }
  if (stat.isFile()) return [path.resolve(p)];
  if (!stat.isDirectory())
    throw new EngineError('NOT_AN_IMAGE', `${p} is ${specialFileKind(stat)}, not a photo or a folder; it was not opened`);
  const root = await fsp.realpath(p);
  const files: string[] = [];
  const folders = [path.resolve(p)];
  for (let folder = folders.pop(); folder !== undefined && !signal?.aborted; folder = folders.pop()) {
    let entries;
    try {
      entries = await fsp.readdir(folder, { withFileTypes: true });
    } catch (e) {
      refused.push({ path: folder, message: `${folder} cannot be read: ${messageOf(e)}` });
      continue;
    }
    for (const entry of entries) {
      const full = path.join(folder, entry.name);
      const wanted = FOLDER_EXTENSIONS.has(extensionOf(entry.name));
      if (entry.isDirectory()) folders.push(full);
      else if (entry.isFile()) {
        if (wanted) files.push(full);
      } else if (entry.isSymbolicLink()) {
        const problem = await linkProblem(full, root, wanted);
        if (problem) refused.push({ path: full, message: problem });
      } else if (wanted) {
        refused.push({ path: full, message: `${entry.name} is ${specialFileKind(entry)}, not a photo; it was not opened` });
      }
    }
  }
  return files.sort();
}

/**
 * Why a link found in a folder is not imported, when the person would want to know: one that leads outside the
 * picked folder (to a photo or a folder), or nowhere. One that stays inside says nothing: its target is imported
 * on its own.
 */
async function linkProblem(link: string, root: string, photoName: boolean): Promise<string | undefined> {
  const name = path.basename(link);
  let target: string;
  let isFolder: boolean;
  try {
    target = await fsp.realpath(link);
    isFolder = (await fsp.stat(target)).isDirectory();
  } catch {
    return photoName ? `${name} is a link to something that does not exist` : undefined;
  }
  if (target === root || target.startsWith(root + path.sep)) return undefined;
  if (isFolder)
    return `${name} is a link to ${target}, outside the folder you picked; it was not followed (add that folder itself to import it)`;
  if (photoName)
    return `${name} is a link to ${target}, outside the folder you picked; it was not followed (add that file itself to import it)`;
  return undefined;
}

function safeFileName(name: string): string {
  const base = path
    .basename(name)
    .replace(/[^\w.\- ]+/g, '_')
    .slice(-120);
  return base === '' || base.startsWith('.') ? `upload${base}` : base;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
