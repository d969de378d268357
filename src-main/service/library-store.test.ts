import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChatEntry, Photo } from '../../src-shared/api';
import { nodeJournalFileSystem, parseJournal, type JournalFileSystem } from './journal';
import { LibraryStore } from './library-store';

const photo = (id: string, name = `${id}.jpg`): Photo => ({ id, name, path: `/photos/${name}`, width: 4, height: 3, addedAt: 1 });
const chat = (id: string, photoId: string, question: string): ChatEntry => ({
  id,
  photoId,
  question,
  askedAt: 10,
  method: 'vtc-cls',
  budget: { kind: 'ratio', ratio: 0.25 },
});

describe('parseJournal', () => {
  it('skips a torn last line and keeps every complete record', () => {
    const text = '{"op":"flag","name":"a"}\n{"op":"flag","name":"b"}\n{"op":"fla';
    expect(parseJournal(text)).toEqual({ records: [{ op: 'flag', name: 'a' }, { op: 'flag', name: 'b' }], skippedLines: 1 });
  });
});

describe('LibraryStore', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'vtc-store-'));
  });
  afterEach(() => fsp.rm(dir, { recursive: true, force: true }));

  it('survives a restart: photos, chats, settings and flags come back', async () => {
    const store = await LibraryStore.open(dir);
    await store.addPhoto(photo('p1'));
    await store.addPhoto(photo('p2'));
    await store.putChat(chat('c1', 'p1', 'what colour?'));
    await store.setSettings({ modelId: 'tiny-llava', ep: 'cpu', threads: 2 });
    await store.setFlag('demo-album');
    await store.removePhoto('p2');

    const reopened = await LibraryStore.open(dir);
    expect(reopened.photos().map((p) => p.id)).toEqual(['p1']);
    expect(reopened.chats('p1').map((c) => c.question)).toEqual(['what colour?']);
    expect(reopened.settings()).toEqual({ modelId: 'tiny-llava', ep: 'cpu', threads: 2 });
    expect(reopened.hasFlag('demo-album')).toBe(true);
  });

  it('ignores a torn last line after a crash, and later writes are not glued onto it', async () => {
    const store = await LibraryStore.open(dir);
    await store.addPhoto(photo('p1'));
    const file = path.join(dir, 'library.jsonl');
    // A crash in the middle of a write leaves half a line and no newline.
    await fsp.appendFile(file, '{"op":"photo","photo":{"id":"p2","na');

    const afterCrash = await LibraryStore.open(dir);
    expect(afterCrash.photos().map((p) => p.id)).toEqual(['p1']);
    await afterCrash.addPhoto(photo('p3'));
    const again = await LibraryStore.open(dir);
    expect(again.photos().map((p) => p.id)).toEqual(['p1', 'p3']);
    expect(parseJournal(await fsp.readFile(file, 'utf8')).skippedLines).toBe(0);
  });

  it('removing a photo drops its chats too, and an answer that arrives later is not kept', async () => {
    const store = await LibraryStore.open(dir);
    await store.addPhoto(photo('p1'));
    await store.putChat(chat('c1', 'p1', 'q'));
    await store.removePhoto('p1');
    await store.putChat(chat('c2', 'p1', 'late answer'));
    expect(store.allChats()).toEqual([]);
    expect((await LibraryStore.open(dir)).allChats()).toEqual([]);
  });

  it('compacts on open a journal that grew over many short runs', async () => {
    for (let run = 0; run < 3; run++) {
      const store = await LibraryStore.open(dir);
      for (let i = 0; i < 150; i++) await store.setSettings({ modelId: `m${run}-${i}`, ep: 'cpu', threads: 1 });
    }
    const lines = (await fsp.readFile(path.join(dir, 'library.jsonl'), 'utf8')).trim().split('\n');
    expect(lines.length).toBeLessThanOrEqual(1 + 200);
    expect((await LibraryStore.open(dir)).settings()?.modelId).toBe('m2-149');
  });

  it('compacts to the live state and replays to the same result', async () => {
    const store = await LibraryStore.open(dir);
    for (let i = 0; i < 20; i++) await store.addPhoto(photo(`p${i}`));
    for (let i = 0; i < 19; i++) await store.removePhoto(`p${i}`);
    await store.compact();
    const text = await fsp.readFile(path.join(dir, 'library.jsonl'), 'utf8');
    expect(text.trim().split('\n')).toHaveLength(1);
    expect((await LibraryStore.open(dir)).photos().map((p) => p.id)).toEqual(['p19']);
  });

  it('a full disk fails the write with DISK_FULL and keeps the previous data, in memory and on disk', async () => {
    let diskFull = false;
    // The real file system, except that once the disk is "full" a write lands half-way and then fails, as ENOSPC does.
    const fullDisk: JournalFileSystem = {
      ...nodeJournalFileSystem,
      async appendDurably(file, data) {
        if (!diskFull) return nodeJournalFileSystem.appendDurably(file, data);
        await fsp.appendFile(file, data.slice(0, Math.floor(data.length / 2)));
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      },
    };
    const store = await LibraryStore.open(dir, fullDisk);
    await store.addPhoto(photo('p1'));
    await store.putChat(chat('c1', 'p1', 'kept question'));
    diskFull = true;

    await expect(store.addPhoto(photo('p2'))).rejects.toMatchObject({ code: 'DISK_FULL', message: expect.stringContaining('the disk is full') });
    expect(store.photos().map((p) => p.id)).toEqual(['p1']);

    diskFull = false;
    await store.addPhoto(photo('p3'));
    const reopened = await LibraryStore.open(dir);
    expect(reopened.photos().map((p) => p.id)).toEqual(['p1', 'p3']);
    expect(reopened.chats('p1').map((c) => c.question)).toEqual(['kept question']);
    expect(parseJournal(await fsp.readFile(path.join(dir, 'library.jsonl'), 'utf8')).skippedLines).toBe(0);
  });
});
