// Why a journal and not SQLite (issue 14; measured with scripts/measure-library-store.ts on this project's
// 2-core machines, busy and so noisy). better-sqlite3 is a native addon: it needs rebuilding for Electron's
// ABI (electron-builder.yml has npmRebuild: false) on each of the three release OSes, npm here does not run
// its install script by default, and built from source it took minutes; Node 20 (the CLI and browser host
// floor) has no node:sqlite. The journal is ~300 lines whose every failure mode is tested. What costs at a
// large library is not the format but loading every answer's token scores at start: 10,000 photos and
// 50,000 SmolVLM answers (832 scores each, ~21 KB a record) are 1,034 MiB as a journal and 1,049 MiB in
// SQLite; loading them all took 35-48 s from the journal (~1.2 GiB of heap) and 29 s from SQLite (WAL),
// both dominated by JSON.parse. SQLite wins only when the answers' payload is not loaded at start (0.9 s for
// the photos and chats without it), and the journal can do the same by keeping that payload elsewhere: the
// next step at that size, either way. Smaller: 5,000 answers open in 3.0 s (105 MiB); 50,000 chats without
// scores in 2.6 s (76 MiB). An append (fsynced) takes a median 1-4 ms, p95 5-11 ms; SQLite with
// synchronous=FULL 0.8 ms, p95 6.9 ms: neither is felt.
//
// Append-only JSON-lines journal: every change is one line, written and fsynced before the caller goes on,
// so a crash loses at most the line being written. Replay never fails on a bad line: a torn, garbled or
// wrongly shaped record is set aside in a quarantine file beside the journal (with the time and the reason),
// and everything else is kept. Compaction rewrites the live state through a temp file and keeps the previous
// file as a backup (`<file>.bak`), so no step of it leaves the journal without a complete copy on disk.
import { createReadStream, promises as fsp } from 'node:fs';
import path from 'node:path';
import { syncFolder, writeDurably, writeFileAtomic, type FileContent } from '../engine/storage/atomic-write';
import { asStorageError } from '../engine/storage/storage-error';

/**
 * The file operations the journal needs; tests wrap the real ones to inject failures such as a full disk
 * between any two steps of a compaction.
 */
export interface JournalFileSystem {
  /**
   * The file's bytes, chunk by chunk (ENOENT when it does not exist). Streamed: a journal can outgrow the
   * longest string JavaScript can hold (about 512 MiB; 25,000 SmolVLM answers with their scores reach it).
   */
  read(file: string): AsyncIterable<Buffer>;
  appendDurably(file: string, data: string): Promise<void>;
  truncate(file: string, length: number): Promise<void>;
  /** Creates or overwrites `file` with the content and waits until it is on the disk. */
  writeDurably(file: string, content: FileContent): Promise<void>;
  /** Makes `backup` hold `file`'s current content, atomically; a missing `file` leaves `backup` as it is. */
  keepBackup(file: string, backup: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  /** Makes the renames in `dir` durable where the platform allows it. */
  syncDir(dir: string): Promise<void>;
  remove(file: string): Promise<void>;
}

const errnoCode = (e: unknown) => (e as NodeJS.ErrnoException)?.code;

export const nodeJournalFileSystem: JournalFileSystem = {
  read: (file) => createReadStream(file, { highWaterMark: 1 << 20 }),
  appendDurably: (file, data) => writeDurably(file, data, 'a'),
  truncate: (file, length) => fsp.truncate(file, length),
  writeDurably: (file, content) => writeDurably(file, content, 'w'),
  async keepBackup(file, backup) {
    // A hard link is a second name for the same bytes: instant, and it needs no free space for data.
    const next = `${backup}.new`;
    await fsp.rm(next, { force: true });
    try {
      await fsp.link(file, next);
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') return;
      // File systems without hard links (FAT, exFAT, some network shares) get a copy instead.
      if (!['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV'].includes(errnoCode(e) ?? '')) throw e;
      await fsp.copyFile(file, next);
    }
    await fsp.rename(next, backup);
  },
  rename: (from, to) => fsp.rename(from, to),
  syncDir: syncFolder,
  remove: (file) => fsp.rm(file, { force: true }),
};

/** A line replay could not use: its 1-based line number, its text and why. */
export interface RejectedLine {
  line: number;
  text: string;
  reason: string;
}

export interface ReplayResult<R> {
  records: R[];
  /** Lines that were not records of the right shape (a torn last line after a crash, or damage). */
  rejected: RejectedLine[];
}

/** Says what is wrong with a parsed record, or undefined when it has the right shape. */
export type RecordValidator = (value: unknown) => string | undefined;

/** Sorts one line into the records or the rejected lines. `terminated`: a newline follows it. */
function replayLine<R>(line: string, lineNumber: number, terminated: boolean, validate: RecordValidator, into: ReplayResult<R>): void {
  if (line.trim() === '') return;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    // No newline after it: the app stopped while writing it.
    const reason = terminated ? 'not valid JSON' : 'incomplete last line (the app stopped while writing it)';
    into.rejected.push({ line: lineNumber, text: line, reason });
    return;
  }
  const problem = validate(value);
  if (problem) into.rejected.push({ line: lineNumber, text: line, reason: problem });
  else into.records.push(value as R);
}

/** Parses journal text; pure so that the crash cases are easy to test. */
export function parseJournal<R>(text: string, validate: RecordValidator = () => undefined): ReplayResult<R> {
  const result: ReplayResult<R> = { records: [], rejected: [] };
  const lines = text.split('\n');
  lines.forEach((line, i) => replayLine(line, i + 1, i < lines.length - 1, validate, result));
  return result;
}

/** Lines of a byte stream. A newline byte never occurs inside a multi-byte UTF-8 character, so splitting bytes is safe. */
async function* byteLines(chunks: AsyncIterable<Buffer>): AsyncGenerator<{ line: string; terminated: boolean }> {
  let pending: Buffer[] = [];
  for await (const chunk of chunks) {
    let start = 0;
    for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, start)) {
      pending.push(chunk.subarray(start, nl));
      yield { line: Buffer.concat(pending).toString('utf8'), terminated: true };
      pending = [];
      start = nl + 1;
    }
    if (start < chunk.length) pending.push(chunk.subarray(start));
  }
  if (pending.length > 0) yield { line: Buffer.concat(pending).toString('utf8'), terminated: false };
}

/** The records as JSON lines, in chunks of about 1 MiB: one string for all of them could exceed a string's limit. */
function* journalChunks<R>(records: R[]): Generator<string> {
  let chunk = '';
  for (const r of records) {
    chunk += JSON.stringify(r) + '\n';
    if (chunk.length >= 1 << 20) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk) yield chunk;
}

export interface JournalOptions {
  fs?: JournalFileSystem;
  /** Records it refuses are quarantined instead of replayed. */
  validate?: RecordValidator;
}

export class Journal<R> {
  private bytes = 0;
  private appendsSinceCompaction = 0;
  private queue: Promise<unknown> = Promise.resolve();
  /** Bad lines found at open and not yet written to the quarantine file. */
  private unquarantined: RejectedLine[] = [];
  private repairPending = false;
  /** Lines moved to the quarantine file by this process. */
  quarantinedCount = 0;
  /** The journal file was missing and its records came from the backup. */
  restoredFromBackup = false;
  readonly backupFile: string;
  readonly quarantineFile: string;

  private constructor(
    readonly file: string,
    private readonly fs: JournalFileSystem,
  ) {
    this.backupFile = `${file}.bak`;
    this.quarantineFile = path.join(path.dirname(file), `${path.basename(file, '.jsonl')}.quarantine.jsonl`);
  }

  /**
   * Opens (or creates) the journal and returns its good records. Open itself writes nothing, so that it
   * works on a full disk: when the file needs repair (bad lines to quarantine, a torn tail, a file restored
   * from its backup), `needsRepair` is set and the owner's next `compact` does it.
   */
  static async open<R>(file: string, options: JournalOptions = {}): Promise<{ journal: Journal<R> } & ReplayResult<R>> {
    const journal = new Journal<R>(file, options.fs ?? nodeJournalFileSystem);
    const validate = options.validate ?? (() => undefined);
    await fsp.mkdir(path.dirname(file), { recursive: true });
    let replay = await journal.replay(file, validate);
    if (replay) {
      journal.bytes = replay.bytes;
    } else {
      // A missing journal beside its backup was lost after the last compaction; the backup is the best there is.
      replay = await journal.replay(journal.backupFile, validate);
      journal.restoredFromBackup = replay !== undefined;
    }
    const { records = [], rejected = [], tornTail = false } = replay ?? {};
    journal.unquarantined = rejected;
    // A torn tail has no newline: appending after it would glue the next record onto garbage.
    journal.repairPending = journal.restoredFromBackup || rejected.length > 0 || tornTail;
    return { journal, records, rejected };
  }

  /** The file's records, line by line; undefined when the file does not exist. */
  private async replay(
    file: string,
    validate: RecordValidator,
  ): Promise<(ReplayResult<R> & { bytes: number; tornTail: boolean }) | undefined> {
    const result = { records: [] as R[], rejected: [] as RejectedLine[], bytes: 0, tornTail: false };
    let lineNumber = 0;
    try {
      for await (const { line, terminated } of byteLines(this.fs.read(file))) {
        replayLine(line, ++lineNumber, terminated, validate, result);
        result.bytes += Buffer.byteLength(line) + (terminated ? 1 : 0);
        result.tornTail = !terminated;
      }
    } catch (e) {
      if (errnoCode(e) === 'ENOENT' && lineNumber === 0) return undefined;
      throw e;
    }
    return result;
  }

  /** A small file's bytes (0 when it does not exist). */
  private async sizeOf(file: string): Promise<number> {
    let size = 0;
    try {
      for await (const chunk of this.fs.read(file)) size += chunk.length;
    } catch (e) {
      if (errnoCode(e) !== 'ENOENT') throw e;
    }
    return size;
  }

  get appendCount(): number {
    return this.appendsSinceCompaction;
  }

  /** The file must be compacted before the next append (see `open`). */
  get needsRepair(): boolean {
    return this.repairPending;
  }

  /** Bad lines found at open that are still waiting for room in the quarantine file. */
  get pendingQuarantine(): number {
    return this.unquarantined.length;
  }

  /** Appends one record durably. On failure the file is cut back to its previous length and DISK_FULL or the cause is thrown. */
  append(record: R): Promise<void> {
    return this.serialize(async () => {
      if (this.repairPending) throw new Error(`${this.file} must be compacted before the next append`);
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

  /**
   * file. An atomic write (storage/atomic-write.ts) with one step added: once the new content is on the
   * disk, the current file becomes the backup, just before the rename. A failure or crash at any step
   * leaves the old journal or the new one in place, and the backup holds the previous one.
   */
  compact(records: R[]): Promise<void> {
    return this.serialize(async () => {
      let bytes = 0;
      const counted = function* (chunks: Iterable<string>) {
        for (const chunk of chunks) {
          bytes += Buffer.byteLength(chunk);
          yield chunk;
        }
      };
      // The bad lines must be safe elsewhere before the only file holding them is replaced.
      await this.quarantine();
      const { fs } = this;
      await writeFileAtomic(this.file, counted(journalChunks(records)), {
        // One name per process, overwritten by the next compaction: a crash leaves at most one behind.
        temp: `${this.file}.${process.pid}.tmp`,
        steps: {
          writeDurably: (file, content) => fs.writeDurably(file, content),
          rename: (from, to) => fs.rename(from, to),
          syncFolder: (dir) => fs.syncDir(dir),
          remove: (file) => fs.remove(file),
        },
        beforeReplace: () => fs.keepBackup(this.file, this.backupFile),
        onReplaced: () => {
          this.bytes = bytes;
          this.appendsSinceCompaction = 0;
          this.repairPending = false;
        },
      });
    });
  }

  /** Checks that the folder takes a write again (after a full disk), without touching the journal. */
  probeWritable(): Promise<void> {
    return this.serialize(async () => {
      const probe = `${this.file}.probe`;
      try {
        await this.fs.writeDurably(probe, ['x']);
      } catch (e) {
        throw asStorageError(e, this.file);
      } finally {
        await this.fs.remove(probe).catch(() => undefined);
      }
    });
  }

  /** Waits for every queued write. */
  flush(): Promise<void> {
    return this.serialize(async () => undefined);
  }

  private async quarantine(): Promise<void> {
    if (this.unquarantined.length === 0) return;
    const at = new Date().toISOString();
    const source = path.basename(this.file);
    const lines = this.unquarantined.map((r) => JSON.stringify({ at, file: source, line: r.line, reason: r.reason, text: r.text }) + '\n');
    // Its length now, to cut a failed append back to: each record in it stays one whole line.
    const before = await this.sizeOf(this.quarantineFile);
    try {
      await this.fs.appendDurably(this.quarantineFile, lines.join(''));
    } catch (e) {
      await this.fs.truncate(this.quarantineFile, before).catch(() => undefined);
      // Named after the library file: that is what the person was saving to.
      throw asStorageError(e, this.file);
    }
    this.quarantinedCount += this.unquarantined.length;
    this.unquarantined = [];
  }

  private serialize<T>(task: () => Promise<T>): Promise<T> {
    const next = this.queue.then(task, task);
    this.queue = next.catch(() => undefined);
    return next;
  }
}
