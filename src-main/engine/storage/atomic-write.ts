// The one way the app replaces a file, so that a crash, a power cut or a full disk leaves the old content or
// the new, never half of one: the new bytes go to a temp file in the target's folder (a rename is atomic only
// within one file system), are flushed with fsync, and the temp file is renamed over the target; then the
// folder is flushed too, because until its entry is on the disk a power cut can undo the rename. A failure at
// any step before the rename removes the temp file and leaves the target as it was, and a full disk becomes
// DISK_FULL (storage-error.ts). Used by the library journal's compaction, thumbnails, uploads, the photo
// cache, the catalog's JSON files and the instrumented-graph cache.
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { asStorageError } from './storage-error';

/** A file's content: one string or byte array, or several written in order (a large file need not be one string). */
export type FileContent = string | Uint8Array | Iterable<string | Uint8Array>;

/**
 * Writes `content` to `file` and waits until it is on the disk, not just in the OS cache. `flag`: 'w' replaces
 * the file, 'a' appends to it, 'wx' creates it and fails when it exists.
 */
export async function writeDurably(file: string, content: FileContent, flag: 'w' | 'a' | 'wx' = 'w'): Promise<void> {
  const handle = await open(file, flag);
  try {
    const chunks = typeof content === 'string' || content instanceof Uint8Array ? [content] : content;
    // Each writeFile continues at the handle's position and writes its whole chunk.
    for (const chunk of chunks) await handle.writeFile(chunk);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

// What a file system answers when it cannot flush a folder at all (some network and FUSE file systems: EINVAL,
// ENOTSUP; a folder that cannot be opened: EISDIR). The rename is then as durable as that file system makes it.
const FOLDER_SYNC_UNSUPPORTED: ReadonlySet<string> = new Set(['EINVAL', 'ENOTSUP', 'EOPNOTSUPP', 'EISDIR']);

/**
 * Makes the files created and renamed in `dir` durable where the OS allows it. Windows cannot open a folder
 * for this; NTFS journals the rename itself. A real I/O error is thrown.
 */
export async function syncFolder(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (e) {
    if (!FOLDER_SYNC_UNSUPPORTED.has((e as NodeJS.ErrnoException).code ?? '')) throw e;
  }
}

/** The file operations of an atomic write; a test replaces one to inject a failure (a full disk, an I/O error) between any two. */
export interface AtomicWriteSteps {
  /** Writes the temp file, which must not exist yet, and flushes it. */
  writeDurably(file: string, content: FileContent): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  syncFolder(dir: string): Promise<void>;
  remove(file: string): Promise<void>;
}

export const nodeAtomicWriteSteps: AtomicWriteSteps = {
  writeDurably: (file, content) => writeDurably(file, content, 'wx'),
  rename: (from, to) => rename(from, to),
  syncFolder,
  remove: (file) => rm(file, { force: true }),
};

export interface AtomicWriteOptions {
  steps?: Partial<AtomicWriteSteps>;
  /**
   * The temp file, in the target's folder. Default: `.<name>.<pid>.<random>.tmp` beside the target, hidden, and
   * named after its writer so that a sweeper can tell a crashed writer's leftover from a write in progress.
   */
  temp?: string;
  /** Runs once the new content is on the disk, just before it replaces the target (the journal keeps its backup here). */
  beforeReplace?: () => Promise<void>;
  /** Runs as soon as the target holds the new content, before the folder is flushed: a failed flush does not undo the replace. */
  onReplaced?: () => void;
}

/**
 * Replaces (or creates) `file` with `content`, atomically and durably, creating its folder when missing. On
 * failure the target is unchanged (unless the failure came after the rename: see `onReplaced`), no temp file
 * is left, and a full disk is DISK_FULL naming `file`.
 */
export async function writeFileAtomic(file: string, content: FileContent, options: AtomicWriteOptions = {}): Promise<void> {
  const steps: AtomicWriteSteps = { ...nodeAtomicWriteSteps, ...options.steps };
  const dir = dirname(file);
  const temp = options.temp ?? join(dir, `.${basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  // The temp file is ours to remove from the moment the write starts until the rename moves it.
  let ownsTemp = false;
  try {
    await mkdir(dir, { recursive: true });
    ownsTemp = true;
    await steps.writeDurably(temp, content).catch((e: unknown) => {
      // Someone else's file under that name (wx refused it): not ours to delete.
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') ownsTemp = false;
      throw e;
    });
    await options.beforeReplace?.();
    await steps.rename(temp, file);
    ownsTemp = false;
    options.onReplaced?.();
    await steps.syncFolder(dir);
  } catch (e) {
    if (ownsTemp) await steps.remove(temp).catch(() => undefined);
    throw asStorageError(e, file);
  }
}
