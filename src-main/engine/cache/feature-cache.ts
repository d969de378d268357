// Per-photo cache of vision features and attention scores, so the next question on the same photo
// skips vision encoding entirely.
//
// Crash safety: an entry is written atomically (storage/atomic-write.ts), so a reader sees the old entry
// or the new one, never half of one; a file damaged anyway (disk fault, copy) fails its checksum and is
// deleted on read. Temp files of crashed writers are swept.
// LRU: a read or write sets the entry's mtime; eviction removes the oldest mtimes first. The file
// system is the index, so several processes can share a folder with no lock beyond atomic renames.
// Best effort: the cache only saves time, so a folder it cannot read or write (full disk, read-only or
// missing folder) makes a miss or an unsaved entry, logged once per cache, never a failed question.
import { randomBytes } from 'node:crypto';
import { readdir, readFile, stat, unlink, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { EngineError } from '../errors';
import { writeDurably, writeFileAtomic } from '../storage/atomic-write';
import { isDiskFull } from '../storage/storage-error';
import { type CachedVision, decodeEntry, encodeEntry } from './entry-format';

export interface FeatureCacheOptions {
  dir: string;
  /** Upper bound on the entries' total size; the least recently used go first. */
  maxBytes: number;
  /** A temp file this old is a crashed write even if its writer's pid is in use again. */
  staleTempMs?: number;
  /** Creates the temp file (never over an existing one) and waits until its bytes are on the disk; tests wrap it to inject failures such as a full disk. */
  writeNewFile?: (file: string, bytes: Uint8Array) => Promise<void>;
}

const ENTRY = /^([0-9a-f]{64})\.vtcf$/;
const TEMP = /^\.([0-9a-f]{64})\.(\d+)\.[0-9a-f]+\.tmp$/;
const DEFAULT_STALE_TEMP_MS = 60 * 60 * 1000;

// Several uses in one millisecond must still be ordered, so stamps only move forward.
let lastStamp = 0;
function useStamp(): Date {
  lastStamp = Math.max(Date.now(), lastStamp + 1);
  return new Date(lastStamp);
}

/** Records a use for LRU order; an entry another process evicted meanwhile needs no stamp. */
async function markUsed(path: string): Promise<void> {
  const stamp = useStamp();
  try {
    await utimes(path, stamp, stamp);
  } catch (e) {
    if (errnoCode(e) !== 'ENOENT') throw e;
  }
}

function errnoCode(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException).code;
}

async function removeIfPresent(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (e) {
    if (errnoCode(e) !== 'ENOENT') throw e;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return errnoCode(e) === 'EPERM';
  }
}

export class FeatureCache {
  readonly dir: string;
  readonly maxBytes: number;
  private readonly staleTempMs: number;
  private readonly writeNewFile: (file: string, bytes: Uint8Array) => Promise<void>;
  private warned = false;

  constructor(opts: FeatureCacheOptions) {
    if (!Number.isFinite(opts.maxBytes) || opts.maxBytes < 0) {
      throw new EngineError('BAD_ARGUMENT', `feature cache size must be a number of bytes >= 0, got ${opts.maxBytes}`);
    }
    this.dir = opts.dir;
    this.maxBytes = opts.maxBytes;
    this.staleTempMs = opts.staleTempMs ?? DEFAULT_STALE_TEMP_MS;
    this.writeNewFile = opts.writeNewFile ?? ((file, bytes) => writeDurably(file, bytes, 'wx'));
  }

  /** One line per cache, not per photo: a full disk would otherwise log on every question. */
  private warnOnce(action: string, e: unknown): void {
    if (this.warned) return;
    this.warned = true;
    const reason = isDiskFull(e) ? 'the disk is full' : e instanceof Error ? e.message : String(e);
    console.warn(
      `Photo cache off for now: could not ${action} in ${this.dir} (${reason}); questions still get answers, only without the cache's speed-up.`,
    );
  }

  private entryPath(key: string): string {
    if (!/^[0-9a-f]{64}$/.test(key)) throw new EngineError('BAD_ARGUMENT', `feature cache key must be a sha256 hex digest, got '${key}'`);
    return join(this.dir, `${key}.vtcf`);
  }

  /**
   * The cached value, or undefined on a miss; a damaged entry is deleted and counts as a miss, and so does
   * a folder that cannot be read.
   */
  async get(key: string): Promise<CachedVision | undefined> {
    const path = this.entryPath(key);
    try {
      let buf: Buffer;
      try {
        buf = await readFile(path);
      } catch (e) {
        if (errnoCode(e) === 'ENOENT') return undefined;
        throw e;
      }
      const decoded = decodeEntry(key, buf);
      if (!decoded.ok) {
        await removeIfPresent(path);
        return undefined;
      }
      await markUsed(path);
      return decoded.value;
    } catch (e) {
      this.warnOnce('read the photo cache', e);
      return undefined;
    }
  }

  /**
   * Stores the value and evicts to stay under maxBytes. False when it was not stored: the entry alone
   * exceeds maxBytes, or the write failed (full disk, unwritable folder; logged once, never thrown).
   */
  async put(key: string, value: CachedVision): Promise<boolean> {
    const path = this.entryPath(key);
    const bytes = encodeEntry(key, value);
    if (bytes.length > this.maxBytes) return false;
    // Named as the sweeper expects (TEMP): the pid tells a crashed writer's file from a write in progress.
    const temp = join(this.dir, `.${key}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    let stored = false;
    try {
      const steps = { writeDurably: (file: string) => this.writeNewFile(file, bytes) };
      await writeFileAtomic(path, bytes, { temp, steps, onReplaced: () => (stored = true) });
    } catch (e) {
      this.warnOnce('save vision features', e);
      // Stored but the folder not flushed: the entry is there, and its checksum guards it if a power cut tears it.
      if (!stored) return false;
    }
    try {
      await markUsed(path);
      await this.sweep(key);
    } catch (e) {
      // The entry is stored; only its LRU stamp or the eviction of older entries is left for next time.
      this.warnOnce('tidy the photo cache', e);
    }
    return true;
  }

  async delete(key: string): Promise<void> {
    await removeIfPresent(this.entryPath(key));
  }

  /** Entries and their total size on disk. */
  async usage(): Promise<{ entries: number; bytes: number }> {
    const entries = await this.listEntries();
    return { entries: entries.length, bytes: entries.reduce((n, e) => n + e.size, 0) };
  }

  /**
   * Removes temp files of crashed writers and evicts least recently used entries until the total
   * fits maxBytes. `keep` (the entry just written) is never evicted.
   */
  async sweep(keep?: string): Promise<void> {
    await this.removeCrashedTemps();
    const entries = await this.listEntries();
    let total = entries.reduce((n, e) => n + e.size, 0);
    entries.sort((a, b) => a.lastUse - b.lastUse || (a.key < b.key ? -1 : 1));
    for (const entry of entries) {
      if (total <= this.maxBytes) break;
      if (entry.key === keep) continue;
      await removeIfPresent(join(this.dir, `${entry.key}.vtcf`));
      total -= entry.size;
    }
  }

  private async names(): Promise<string[]> {
    try {
      return await readdir(this.dir);
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') return [];
      throw e;
    }
  }

  private async listEntries(): Promise<Array<{ key: string; size: number; lastUse: number }>> {
    const entries = [];
    for (const name of await this.names()) {
      const key = ENTRY.exec(name)?.[1];
      if (!key) continue;
      const info = await stat(join(this.dir, name)).catch(() => undefined); // gone meanwhile
      if (info) entries.push({ key, size: info.size, lastUse: info.mtimeMs });
    }
    return entries;
  }

  private async removeCrashedTemps(): Promise<void> {
    const now = Date.now();
    for (const name of await this.names()) {
      const match = TEMP.exec(name);
      if (!match) continue;
      const pid = Number(match[2]);
      const path = join(this.dir, name);
      const info = await stat(path).catch(() => undefined);
      if (!info) continue;
      if (!processAlive(pid) || now - info.mtimeMs > this.staleTempMs) await removeIfPresent(path);
    }
  }
}
