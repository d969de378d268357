// Append-only JSON-lines journal: every change is one line, written and fsynced before the caller goes on,
// so a crash loses at most the line being written. Replay skips a torn or garbled line instead of failing,
// and compaction rewrites the live state atomically (temp file, fsync, rename) so the file stays small.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { asStorageError } from './storage-error';

/** The file operations the journal needs; tests wrap the real ones to inject failures such as a full disk. */
export interface JournalFileSystem {
  readFile(file: string): Promise<string>;
  appendDurably(file: string, data: string): Promise<void>;
  truncate(file: string, length: number): Promise<void>;
  replaceDurably(file: string, data: string): Promise<void>;
}

/** Writes and waits until the data is on the disk, not just in the OS cache. */
async function writeSynced(file: string, flag: 'a' | 'w', data: string): Promise<void> {
  const handle = await fsp.open(file, flag);
  try {
    await handle.writeFile(data, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export const nodeJournalFileSystem: JournalFileSystem = {
  readFile: (file) => fsp.readFile(file, 'utf8'),
  appendDurably: (file, data) => writeSynced(file, 'a', data),
  truncate: (file, length) => fsp.truncate(file, length),
  async replaceDurably(file, data) {
    const temp = `${file}.${process.pid}.tmp`;
    try {
      await writeSynced(temp, 'w', data);
      await fsp.rename(temp, file);
    } catch (e) {
      await fsp.rm(temp, { force: true });
      throw e;
    }
    // The rename itself is only durable once the directory entry is flushed. Windows cannot open a
    // directory for this; NTFS journals the rename itself.
    if (process.platform !== 'win32') {
      const dir = await fsp.open(path.dirname(file), 'r');
      try {
        await dir.sync();
      } finally {
        await dir.close();
      }
    }
  },
};

export interface ReplayResult<R> {
  records: R[];
  /** Lines that could not be parsed (a torn last line after a crash, or damage): skipped, never fatal. */
  skippedLines: number;
}

/** Parses journal text; pure so that the crash cases are easy to test. */
export function parseJournal<R>(text: string): ReplayResult<R> {
  const records: R[] = [];
  let skippedLines = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      records.push(JSON.parse(line) as R);
    } catch {
      skippedLines++;
    }
  }
  return { records, skippedLines };
}

export function formatJournal<R>(records: R[]): string {
  return records.map((r) => JSON.stringify(r) + '\n').join('');
}

export class Journal<R> {
  private bytes = 0;
  private appendsSinceCompaction = 0;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly file: string,
    private readonly fs: JournalFileSystem,
  ) {}

  /** Opens (or creates) the journal and returns its records. A damaged file is rewritten clean at once. */
  static async open<R>(file: string, fs: JournalFileSystem = nodeJournalFileSystem): Promise<{ journal: Journal<R> } & ReplayResult<R>> {
    await fsp.mkdir(path.dirname(file), { recursive: true });
    let text = '';
    try {
      text = await fs.readFile(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    const replay = parseJournal<R>(text);
    const journal = new Journal<R>(file, fs);
    journal.bytes = Buffer.byteLength(text);
    // A torn tail has no newline: appending after it would glue the next record onto garbage.
    if (replay.skippedLines > 0 || (text !== '' && !text.endsWith('\n'))) await journal.compact(replay.records);
    return { journal, ...replay };
  }

  get appendCount(): number {
    return this.appendsSinceCompaction;
  }

  /** Appends one record durably. On failure the file is cut back to its previous length and DISK_FULL or the cause is thrown. */
  append(record: R): Promise<void> {
    return this.serialize(async () => {
      const line = JSON.stringify(record) + '\n';
      try {
        await this.fs.appendDurably(this.file, line);
      } catch (e) {
        await this.fs.truncate(this.file, this.bytes).catch(() => undefined);
        throw asStorageError(e, this.file);
      }
      this.bytes += Buffer.byteLength(line);
      this.appendsSinceCompaction++;
    });
  }

  /** Atomically replaces the journal with `records` (the live state). The old file stays if this fails. */
  compact(records: R[]): Promise<void> {
    return this.serialize(async () => {
      const text = formatJournal(records);
      try {
        await this.fs.replaceDurably(this.file, text);
      } catch (e) {
        throw asStorageError(e, this.file);
      }
      this.bytes = Buffer.byteLength(text);
      this.appendsSinceCompaction = 0;
    });
  }

  /** Waits for every queued write. */
  flush(): Promise<void> {
    return this.serialize(async () => undefined);
  }

  private serialize<T>(task: () => Promise<T>): Promise<T> {
    const next = this.queue.then(task, task);
    this.queue = next.catch(() => undefined);
    return next;
  }
}
