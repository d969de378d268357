// The app's persistent state (photos, chats, settings, first-run flags) as a journal of changes.
// Every mutation is written durably before memory changes, so a failed write (full disk) leaves
// both the file and the in-memory state exactly as they were.
//
// Read-only mode: when the disk is full the store still opens and serves everything it has; each
// mutation fails with DISK_FULL, and the store leaves read-only by itself as soon as a write succeeds
// again: the next mutation, or a retry every `retryMs` (a tiny probe file, or the deferred repair), so
// freeing space is enough, with no restart and no click.
import path from 'node:path';
import {
  BUDGET,
  CROP_BUDGET,
  ENGINE_SETTINGS,
  PRUNING_METHODS,
  type ChatEntry,
  type EngineSettings,
  type Photo,
} from '../../src-shared/api';
import { obj, oneOf, schemaProblem, type ObjectSchema, type Schema } from '../../src-shared/schema';
import { isDiskFull } from '../engine/storage/storage-error';
import { Journal, type JournalFileSystem } from './journal';

export type StoreRecord =
  | { op: 'photo'; photo: Photo }
  | { op: 'unphoto'; photoId: string }
  | { op: 'chat'; entry: ChatEntry }
  | { op: 'settings'; settings: EngineSettings }
  | { op: 'flag'; name: string };

// The shape of every record, field by field, so that a wrong one is set aside at open instead of
// reaching code (or the renderer) that trusts the types. Objects are open: a field a newer version added
// is kept, not refused. No length limits: a stored value was accepted once and must replay.
const text: Schema = { kind: 'string' };
const id: Schema = { kind: 'string', minLength: 1 };
const num: Schema = { kind: 'number' };
const count: Schema = { kind: 'number', integer: true, min: 0 };
const list = (items: Schema): Schema => ({ kind: 'array', items });
const record = (fields: Record<string, Schema>, optional: readonly string[] = []): ObjectSchema => ({
  ...obj(fields, optional),
  open: true,
});
const answerFields = {
  text,
  tokens: list(count),
  timings: record({
    preprocessMs: num,
    visionMs: num,
    embedMs: num,
    prefillMs: num,
    decodeMs: num,
    decodeTokens: count,
    tokensPerSecond: num,
    totalMs: num,
  }),
  counts: record({ visualTokens: count, promptTokens: count, generatedTokens: count, kvCacheBytes: count }),
  visionCached: { kind: 'boolean' } as Schema,
};
const compareResult = record({
  full: record(answerFields),
  pruned: record({ ...answerFields, method: oneOf(PRUNING_METHODS), kept: list(count) }),
  scores: list(num),
  grid: record({ tiles: list(record({ x: num, y: num, width: num, height: num, rows: count, cols: count, global: { kind: 'boolean' } })) }),
});
const STORE_RECORD: Schema = {
  kind: 'tagged',
  tag: 'op',
  variants: {
    photo: record({ op: text, photo: record({ id, name: text, path: id, width: count, height: count, addedAt: num }) }),
    unphoto: record({ op: text, photoId: id }),
    chat: record({
      op: text,
      entry: record(
        {
          id,
          photoId: id,
          question: text,
          askedAt: num,
          method: oneOf(PRUNING_METHODS),
          budget: BUDGET,
          crops: CROP_BUDGET,
          result: compareResult,
          grade: record({ expected: text, full: { kind: 'boolean' } as Schema, pruned: { kind: 'boolean' } as Schema }),
          stopped: record({ full: text, pruned: text }),
          error: text,
        },
        ['crops', 'result', 'grade', 'stopped', 'error'],
      ),
    }),
    settings: record({ op: text, settings: { ...ENGINE_SETTINGS, open: true } }),
    flag: record({ op: text, name: id }),
  },
};

/** What is wrong with a journal record's shape, or undefined when it is a StoreRecord. */
export function storeRecordProblem(value: unknown): string | undefined {
  return schemaProblem(STORE_RECORD, value, 'record');
}

/** Compact after this many appends: replay stays fast and the file stays near the live size. */
const COMPACT_EVERY = 200;
const RETRY_READ_ONLY_MS = 30_000;

export interface LibraryStoreOptions {
  fs?: JournalFileSystem;
  /** How often a read-only store tries to write again (tests shorten it). */
  retryMs?: number;
}

export class LibraryStore {
  private readonly photoMap = new Map<string, Photo>();
  private readonly chatMap = new Map<string, ChatEntry>();
  private settingsValue: EngineSettings | undefined;
  private readonly flags = new Set<string>();
  private readOnlyValue = false;
  private readonly readOnlyListeners = new Set<(readOnly: boolean) => void>();
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;

  private constructor(
    private readonly journal: Journal<StoreRecord>,
    private readonly retryMs: number,
  ) {}

  static async open(dataDir: string, options: LibraryStoreOptions = {}): Promise<LibraryStore> {
    const { journal, records, rejected } = await Journal.open<StoreRecord>(path.join(dataDir, 'library.jsonl'), {
      fs: options.fs,
      validate: storeRecordProblem,
    });
    const store = new LibraryStore(journal, options.retryMs ?? RETRY_READ_ONLY_MS);
    for (const r of records) store.apply(r);
    if (journal.restoredFromBackup) console.warn(`${journal.file} was missing: restored the library from ${journal.backupFile}.`);
    // Appends are counted per run: a journal that grew over many short runs is compacted here.
    if (journal.needsRepair || records.length > store.snapshot().length + COMPACT_EVERY) {
      // A full disk defers the repair and opens read-only; any other failure is a real fault and stops here.
      await store.write(journal.needsRepair ? undefined : () => store.journal.compact(store.snapshot())).catch((e) => {
        if (!isDiskFull(e)) throw e;
        console.warn(`${journal.file}: the disk is full, so the library opens read-only until a write succeeds again.`);
      });
    }
    if (rejected.length > 0) {
      const where =
        journal.pendingQuarantine > 0
          ? `will be moved to ${journal.quarantineFile} once there is space`
          : `were moved to ${journal.quarantineFile}`;
      console.warn(`${journal.file}: ${rejected.length} unreadable record(s) ${where}.`);
    }
    return store;
  }

  /** True while the disk is full: nothing can be saved, everything already saved is still there. */
  get readOnly(): boolean {
    return this.readOnlyValue;
  }

  onReadOnlyChange(listener: (readOnly: boolean) => void): () => void {
    this.readOnlyListeners.add(listener);
    return () => this.readOnlyListeners.delete(listener);
  }

  /** What the person should know about the library's file, in plain words (records set aside, a restore). */
  notices(): string[] {
    const j = this.journal;
    const name = path.basename(j.file);
    const notices: string[] = [];
    if (j.restoredFromBackup) {
      notices.push(
        `The library file ${name} was missing, so the library was restored from its last backup (${j.backupFile}); changes made after that backup are not in it.`,
      );
    }
    const plural = (n: number) => (n === 1 ? '1 record' : `${n} records`);
    if (j.quarantinedCount > 0) {
      notices.push(
        `${plural(j.quarantinedCount)} in the library file ${name} could not be read and ${j.quarantinedCount === 1 ? 'was' : 'were'} set aside in ${j.quarantineFile}. Everything else in your library was kept.`,
      );
    }
    if (j.pendingQuarantine > 0) {
      notices.push(
        `${plural(j.pendingQuarantine)} in the library file ${name} could not be read; ${j.pendingQuarantine === 1 ? 'it' : 'they'} will be set aside in ${j.quarantineFile} once the disk has space. Everything else in your library was kept.`,
      );
    }
    return notices;
  }

  photos(): Photo[] {
    return [...this.photoMap.values()];
  }

  photo(photoId: string): Photo | undefined {
    return this.photoMap.get(photoId);
  }

  photoByPath(file: string): Photo | undefined {
    return this.photos().find((p) => p.path === file);
  }

  /** Every chat entry, in no particular order. */
  allChats(): ChatEntry[] {
    return [...this.chatMap.values()];
  }

  /** Chat entries of one photo, oldest first. */
  chats(photoId: string): ChatEntry[] {
    return [...this.chatMap.values()].filter((c) => c.photoId === photoId).sort((a, b) => a.askedAt - b.askedAt);
  }

  settings(): EngineSettings | undefined {
    return this.settingsValue;
  }

  hasFlag(name: string): boolean {
    return this.flags.has(name);
  }

  addPhoto(photo: Photo): Promise<void> {
    return this.commit({ op: 'photo', photo });
  }

  removePhoto(photoId: string): Promise<void> {
    return this.commit({ op: 'unphoto', photoId });
  }

  putChat(entry: ChatEntry): Promise<void> {
    return this.commit({ op: 'chat', entry });
  }

  setSettings(settings: EngineSettings): Promise<void> {
    return this.commit({ op: 'settings', settings });
  }

  setFlag(name: string): Promise<void> {
    return this.commit({ op: 'flag', name });
  }

  /** Rewrites the journal as the live state only. */
  compact(): Promise<void> {
    return this.journal.compact(this.snapshot());
  }

  flush(): Promise<void> {
    return this.journal.flush();
  }

  /** Stops retrying writes and waits for the queued ones. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    await this.journal.flush();
  }

  private async commit(record: StoreRecord): Promise<void> {
    await this.write(() => this.journal.append(record));
    this.apply(record);
    if (this.journal.appendCount >= COMPACT_EVERY) {
      // A failed compaction keeps the (longer) journal, which still replays to the same state.
      await this.compact().catch(() => undefined);
    }
  }

  /**
   * Runs one write (none: only the pending repair), after the repair open deferred: a torn tail must be
   * cut before anything is appended. The outcome sets read-only mode: DISK_FULL enters it, success leaves it.
   */
  private async write(task?: () => Promise<void>): Promise<void> {
    try {
      if (this.journal.needsRepair) await this.journal.compact(this.snapshot());
      await task?.();
    } catch (e) {
      if (isDiskFull(e)) this.setReadOnly(true);
      throw e;
    }
    this.setReadOnly(false);
  }

  private setReadOnly(readOnly: boolean): void {
    if (readOnly) this.scheduleRetry();
    if (readOnly === this.readOnlyValue) return;
    this.readOnlyValue = readOnly;
    for (const listener of this.readOnlyListeners) listener(readOnly);
  }

  private scheduleRetry(): void {
    if (this.retryTimer || this.closed) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      // write() repairs first when a repair is pending; otherwise a probe file is the cheapest real write.
      void this.write(this.journal.needsRepair ? undefined : () => this.journal.probeWritable()).catch(() => undefined);
    }, this.retryMs);
    // A pending retry must not keep a CLI or test process alive.
    this.retryTimer.unref?.();
  }

  private snapshot(): StoreRecord[] {
    const records: StoreRecord[] = [];
    for (const name of this.flags) records.push({ op: 'flag', name });
    if (this.settingsValue) records.push({ op: 'settings', settings: this.settingsValue });
    for (const photo of this.photoMap.values()) records.push({ op: 'photo', photo });
    for (const entry of this.chatMap.values()) records.push({ op: 'chat', entry });
    return records;
  }

  private apply(r: StoreRecord): void {
    switch (r.op) {
      case 'photo':
        this.photoMap.set(r.photo.id, r.photo);
        break;
      case 'unphoto':
        this.photoMap.delete(r.photoId);
        for (const [id, entry] of this.chatMap) if (entry.photoId === r.photoId) this.chatMap.delete(id);
        break;
      case 'chat':
        // An ask that finishes after its photo was removed leaves nothing behind.
        if (this.photoMap.has(r.entry.photoId)) this.chatMap.set(r.entry.id, r.entry);
        break;
      case 'settings':
        this.settingsValue = r.settings;
        break;
      case 'flag':
        this.flags.add(r.name);
        break;
    }
  }
}
