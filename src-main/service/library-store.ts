// The app's persistent state (photos, chats, settings, first-run flags) as a journal of changes.
// Every mutation is written durably before memory changes, so a failed write (full disk) leaves
// both the file and the in-memory state exactly as they were.
import path from 'node:path';
import type { ChatEntry, EngineSettings, Photo } from '../../src-shared/api';
import { Journal, type JournalFileSystem } from './journal';

export type StoreRecord =
  | { op: 'photo'; photo: Photo }
  | { op: 'unphoto'; photoId: string }
  | { op: 'chat'; entry: ChatEntry }
  | { op: 'settings'; settings: EngineSettings }
  | { op: 'flag'; name: string };

/** Compact after this many appends: replay stays fast and the file stays near the live size. */
const COMPACT_EVERY = 200;

export class LibraryStore {
  private readonly photoMap = new Map<string, Photo>();
  private readonly chatMap = new Map<string, ChatEntry>();
  private settingsValue: EngineSettings | undefined;
  private readonly flags = new Set<string>();

  private constructor(private readonly journal: Journal<StoreRecord>) {}

  static async open(dataDir: string, fs?: JournalFileSystem): Promise<LibraryStore> {
    const { journal, records } = await Journal.open<StoreRecord>(path.join(dataDir, 'library.jsonl'), fs);
    const store = new LibraryStore(journal);
    for (const r of records) store.apply(r);
    // Appends are counted per run: a journal that grew over many short runs is compacted here.
    if (records.length > store.snapshot().length + COMPACT_EVERY) await store.compact();
    return store;
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

  private async commit(record: StoreRecord): Promise<void> {
    await this.journal.append(record);
    this.apply(record);
    if (this.journal.appendCount >= COMPACT_EVERY) {
      // A failed compaction keeps the (longer) journal, which still replays to the same state.
      await this.compact().catch(() => undefined);
    }
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
