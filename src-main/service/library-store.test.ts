import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Answer, ChatEntry, CompareResult, Photo } from '../../src-shared/api';
import { nodeJournalFileSystem, parseJournal, type JournalFileSystem } from './journal';
import { LibraryStore, storeRecordProblem } from './library-store';

const photo = (id: string, name = `${id}.jpg`): Photo => ({ id, name, path: `/photos/${name}`, width: 4, height: 3, addedAt: 1 });
const chat = (id: string, photoId: string, question: string): ChatEntry => ({
  id,
  photoId,
  question,
  askedAt: 10,
  method: 'vtc-cls',
  budget: { kind: 'ratio', ratio: 0.25 },
});

const ENOSPC = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });

/** The real file system, except that while `full` every write fails with ENOSPC (an append after landing half-way, as on a real disk). */
function fullDiskFs() {
  const state = { full: false };
  const fs: JournalFileSystem = {
    ...nodeJournalFileSystem,
    async appendDurably(file, data) {
      if (!state.full) return nodeJournalFileSystem.appendDurably(file, data);
      await fsp.appendFile(file, data.slice(0, Math.floor(data.length / 2)));
      throw ENOSPC();
    },
    async writeDurably(file, data) {
      if (state.full) throw ENOSPC();
      return nodeJournalFileSystem.writeDurably(file, data);
    },
  };
  return { fs, state };
}

const lines = async (file: string) => (await fsp.readFile(file, 'utf8')).trim().split('\n');

function compareResult(): CompareResult {
  const answer = (): Answer => ({
    text: 'two circles',
    tokens: [5, 6],
    timings: {
      preprocessMs: 1,
      visionMs: 2,
      embedMs: 0.5,
      prefillMs: 3,
      decodeMs: 4,
      decodeTokens: 1,
      tokensPerSecond: 250,
      totalMs: 10.5,
    },
    counts: { visualTokens: 4, promptTokens: 9, generatedTokens: 2, kvCacheBytes: 1024 },
    visionCached: false,
  });
  return {
    full: answer(),
    pruned: { ...answer(), method: 'vtc-cls', kept: [0, 3] },
    scores: [0.1, 0.2, 0.3, 0.4],
    grid: { tiles: [{ x: 0, y: 0, width: 1, height: 1, rows: 2, cols: 2, global: true }] },
  };
}

describe('parseJournal', () => {
  it('sets aside a torn last line, saying why, and keeps every complete record', () => {
    const text = '{"op":"flag","name":"a"}\n{"op":"flag","name":"b"}\n{"op":"fla';
    expect(parseJournal(text)).toEqual({
      records: [
        { op: 'flag', name: 'a' },
        { op: 'flag', name: 'b' },
      ],
      rejected: [{ line: 3, text: '{"op":"fla', reason: 'incomplete last line (the app stopped while writing it)' }],
    });
  });
});

describe('storeRecordProblem', () => {
  it('accepts every record the store writes, and fields a newer version added', () => {
    expect(storeRecordProblem({ op: 'photo', photo: photo('p1') })).toBeUndefined();
    expect(storeRecordProblem({ op: 'chat', entry: chat('c1', 'p1', 'q') })).toBeUndefined();
    expect(
      storeRecordProblem({ op: 'chat', entry: { ...chat('c1', 'p1', 'q'), error: 'failed', result: compareResult() } }),
    ).toBeUndefined();
    expect(storeRecordProblem({ op: 'settings', settings: { modelId: 'm', ep: 'cpu', threads: 2 } })).toBeUndefined();
    expect(storeRecordProblem({ op: 'unphoto', photoId: 'p1' })).toBeUndefined();
    expect(storeRecordProblem({ op: 'flag', name: 'demo-album', since: 3 })).toBeUndefined();
  });

  it('names what is wrong with a record of the wrong shape', () => {
    expect(storeRecordProblem(null)).toBe('record must be an object, got null');
    expect(storeRecordProblem([1])).toBe('record must be an object, got an array');
    expect(storeRecordProblem({ op: 'rename' })).toBe("record.op must be one of photo, unphoto, chat, settings, flag; got 'rename'");
    expect(storeRecordProblem({ op: 'photo', photo: { ...photo('p1'), width: '4' } })).toBe(
      "record.photo.width must be a finite number, got '4'",
    );
    expect(storeRecordProblem({ op: 'photo', photo: { ...photo('p1'), id: undefined } })).toBe('record.photo.id is required');
    const result = compareResult();
    result.full.visionCached = 'no' as unknown as boolean;
    expect(storeRecordProblem({ op: 'chat', entry: { ...chat('c1', 'p1', 'q'), result } })).toBe(
      "record.entry.result.full.visionCached must be true or false, got 'no'",
    );
    expect(storeRecordProblem({ op: 'chat', entry: { ...chat('c1', 'p1', 'q'), budget: { kind: 'ratio', ratio: 2 } } })).toBe(
      'record.entry.budget.ratio must be <= 1, got 2',
    );
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
    expect(parseJournal(await fsp.readFile(file, 'utf8')).rejected).toEqual([]);
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
    const store = await LibraryStore.open(dir, { fs: fullDisk });
    await store.addPhoto(photo('p1'));
    await store.putChat(chat('c1', 'p1', 'kept question'));
    diskFull = true;

    await expect(store.addPhoto(photo('p2'))).rejects.toMatchObject({
      code: 'DISK_FULL',
      message: expect.stringContaining('the disk is full'),
    });
    expect(store.photos().map((p) => p.id)).toEqual(['p1']);

    diskFull = false;
    await store.addPhoto(photo('p3'));
    const reopened = await LibraryStore.open(dir);
    expect(reopened.photos().map((p) => p.id)).toEqual(['p1', 'p3']);
    expect(reopened.chats('p1').map((c) => c.question)).toEqual(['kept question']);
    expect(parseJournal(await fsp.readFile(path.join(dir, 'library.jsonl'), 'utf8')).rejected).toEqual([]);
  });

  it('sets aside a bad record in the middle with the time, the reason and the line, and keeps everything else', async () => {
    const store = await LibraryStore.open(dir);
    await store.addPhoto(photo('p1'));
    await store.putChat(chat('c1', 'p1', 'first'));
    await store.addPhoto(photo('p2'));
    const file = path.join(dir, 'library.jsonl');
    const good = await lines(file);
    // Valid JSON of the wrong shape, a garbled line and a record with a wrong field, between good records.
    const bad = [
      'null',
      '{"op":"photo","pho',
      '{"op":"photo","photo":{"id":"p9","name":"x","path":"/x","width":"wide","height":1,"addedAt":1}}',
    ];
    await fsp.writeFile(file, [good[0], bad[0], good[1], bad[1], bad[2], good[2]].join('\n') + '\n');

    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const reopened = await LibraryStore.open(dir);
    const warnings = warn.mock.calls.map((c) => c[0]);
    warn.mockRestore();
    expect(reopened.photos().map((p) => p.id)).toEqual(['p1', 'p2']);
    expect(reopened.chats('p1').map((c) => c.question)).toEqual(['first']);
    const quarantine = path.join(dir, 'library.quarantine.jsonl');
    expect(warnings).toEqual([`${file}: 3 unreadable record(s) were moved to ${quarantine}.`]);
    expect(reopened.notices()).toEqual([
      `3 records in the library file library.jsonl could not be read and were set aside in ${quarantine}. Everything else in your library was kept.`,
    ]);

    const setAside = (await lines(quarantine)).map((l) => JSON.parse(l));
    expect(setAside.map((r) => [r.line, r.text, r.reason])).toEqual([
      [2, 'null', 'record must be an object, got null'],
      [4, bad[1], 'not valid JSON'],
      [5, bad[2], "record.photo.width must be a finite number, got 'wide'"],
    ]);
    for (const r of setAside) expect(Date.now() - Date.parse(r.at)).toBeLessThan(60_000);
    // The journal itself is clean now; the next open finds nothing to set aside and says nothing.
    expect(parseJournal(await fsp.readFile(file, 'utf8'), storeRecordProblem).rejected).toEqual([]);
    const again = await LibraryStore.open(dir);
    expect(again.notices()).toEqual([]);
    expect(again.photos().map((p) => p.id)).toEqual(['p1', 'p2']);
  });

  it('replays a journal read in small chunks, with lines and characters split across them', async () => {
    const store = await LibraryStore.open(dir);
    await store.addPhoto(photo('p1', 'Grüße 🌍.jpg'));
    await store.putChat(chat('c1', 'p1', 'Was ist auf dem Bild? 🤔'));
    const file = path.join(dir, 'library.jsonl');
    const before = await fsp.readFile(file);
    // Three bytes at a time: every multi-byte character and every line falls across chunks somewhere.
    const { fs: fullDisk, state } = fullDiskFs();
    const chunked: JournalFileSystem = {
      ...fullDisk,
      async *read(f) {
        const bytes = await fsp.readFile(f);
        for (let i = 0; i < bytes.length; i += 3) yield bytes.subarray(i, i + 3);
      },
    };
    const reopened = await LibraryStore.open(dir, { fs: chunked });
    expect(reopened.photos().map((p) => p.name)).toEqual(['Grüße 🌍.jpg']);
    expect(reopened.chats('p1').map((c) => c.question)).toEqual(['Was ist auf dem Bild? 🤔']);
    // The byte count replay kept is exact: a failed append is cut back to the file as it was, byte for byte.
    state.full = true;
    await expect(reopened.addPhoto(photo('p2'))).rejects.toMatchObject({ code: 'DISK_FULL' });
    expect(await fsp.readFile(file)).toEqual(before);
    await reopened.close();
  });

  it('keeps the previous file as library.jsonl.bak when it compacts', async () => {
    const store = await LibraryStore.open(dir);
    await store.addPhoto(photo('p1'));
    await store.addPhoto(photo('p2'));
    await store.removePhoto('p2');
    const file = path.join(dir, 'library.jsonl');
    const before = await fsp.readFile(file, 'utf8');
    await store.compact();
    expect(await fsp.readFile(`${file}.bak`, 'utf8')).toBe(before);
    expect(await lines(file)).toHaveLength(1);
    // Appends after the compaction go to the new file only.
    await store.addPhoto(photo('p3'));
    expect(await fsp.readFile(`${file}.bak`, 'utf8')).toBe(before);
  });

  it('restores the library from the backup when library.jsonl is missing, and says so', async () => {
    const store = await LibraryStore.open(dir);
    await store.addPhoto(photo('p1'));
    await store.addPhoto(photo('p2'));
    await store.removePhoto('p2');
    await store.compact();
    await store.addPhoto(photo('p3'));
    const file = path.join(dir, 'library.jsonl');
    await fsp.rm(file);

    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const restored = await LibraryStore.open(dir);
    const warnings = warn.mock.calls.map((c) => c[0]);
    warn.mockRestore();
    expect(restored.photos().map((p) => p.id)).toEqual(['p1']);
    expect(warnings).toEqual([`${file} was missing: restored the library from ${file}.bak.`]);
    expect(restored.notices()[0]).toMatch(/^The library file library.jsonl was missing, so the library was restored from its last backup/);
    // The journal is back in place, and the backup was not thrown away on the way.
    expect((await LibraryStore.open(dir)).photos().map((p) => p.id)).toEqual(['p1']);
    expect(await lines(`${file}.bak`)).toHaveLength(3);
  });

  // A compaction that fails (full disk, I/O error, or a crash modelled as the step never finishing) at
  // any step must leave a journal that replays to the live state, and no temp file behind.
  for (const step of ['writeDurably', 'keepBackup', 'rename', 'syncDir'] as const) {
    it(`a compaction that fails at ${step} loses nothing`, async () => {
      let failAt: string | undefined;
      const fs: JournalFileSystem = { ...nodeJournalFileSystem };
      for (const name of ['writeDurably', 'keepBackup', 'rename', 'syncDir'] as const) {
        const real = nodeJournalFileSystem[name] as (...a: string[]) => Promise<void>;
        (fs[name] as (...a: string[]) => Promise<void>) = async (...args) => {
          if (failAt === name) throw Object.assign(new Error(`EIO: i/o error, ${name}`), { code: 'EIO' });
          return real(...args);
        };
      }
      const store = await LibraryStore.open(dir, { fs });
      await store.addPhoto(photo('p1'));
      await store.addPhoto(photo('p2'));
      await store.compact();
      await store.removePhoto('p1');
      await store.putChat(chat('c2', 'p2', 'kept'));

      failAt = step;
      await expect(store.compact()).rejects.toThrow(`EIO: i/o error, ${step}`);
      failAt = undefined;
      expect((await fsp.readdir(dir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
      const reopened = await LibraryStore.open(dir);
      expect(reopened.photos().map((p) => p.id)).toEqual(['p2']);
      expect(reopened.chats('p2').map((c) => c.question)).toEqual(['kept']);
      expect(reopened.notices()).toEqual([]);
      // The store goes on writing after the failure.
      await store.addPhoto(photo('p3'));
      expect((await LibraryStore.open(dir)).photos().map((p) => p.id)).toEqual(['p2', 'p3']);
    });
  }

  it('opens read-only on a full disk with a torn tail, refuses changes with DISK_FULL, and leaves read-only by itself once space is back', async () => {
    const first = await LibraryStore.open(dir);
    await first.addPhoto(photo('p1'));
    await first.putChat(chat('c1', 'p1', 'kept question'));
    const file = path.join(dir, 'library.jsonl');
    await fsp.appendFile(file, '{"op":"photo","photo":{"id":"p2","na');
    const onDisk = await fsp.readFile(file, 'utf8');

    const { fs, state } = fullDiskFs();
    state.full = true;
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const store = await LibraryStore.open(dir, { fs, retryMs: 20 });
    warn.mockRestore();
    expect(store.readOnly).toBe(true);
    expect(store.photos().map((p) => p.id)).toEqual(['p1']);
    expect(store.chats('p1').map((c) => c.question)).toEqual(['kept question']);
    expect(store.notices()).toEqual([
      expect.stringMatching(
        /^1 record in the library file library.jsonl could not be read; it will be set aside in .* once the disk has space\./,
      ),
    ]);
    await expect(store.addPhoto(photo('p3'))).rejects.toMatchObject({
      code: 'DISK_FULL',
      message: expect.stringMatching(
        /^Could not save to \/.*: the disk is full\. Free some space and try again; nothing saved before was lost\.$/,
      ),
    });
    expect(store.photos().map((p) => p.id)).toEqual(['p1']);
    expect(await fsp.readFile(file, 'utf8')).toBe(onDisk);

    const changes: boolean[] = [];
    store.onReadOnlyChange((readOnly) => changes.push(readOnly));
    state.full = false;
    await vi.waitFor(() => expect(changes).toEqual([false]), { timeout: 2000 });
    expect(store.readOnly).toBe(false);
    expect(store.notices()).toEqual([
      expect.stringMatching(/^1 record in the library file library.jsonl could not be read and was set aside/),
    ]);
    await store.addPhoto(photo('p3'));
    await store.close();
    const reopened = await LibraryStore.open(dir);
    expect(reopened.photos().map((p) => p.id)).toEqual(['p1', 'p3']);
    expect(parseJournal(await fsp.readFile(file, 'utf8')).rejected).toEqual([]);
    expect((await lines(path.join(dir, 'library.quarantine.jsonl'))).map((l) => JSON.parse(l).text)).toEqual([
      '{"op":"photo","photo":{"id":"p2","na',
    ]);
  });

  it('opens read-only on a full disk when the journal is due for compaction', async () => {
    const first = await LibraryStore.open(dir);
    for (let i = 0; i < 250; i++) await first.setSettings({ modelId: `m${i}`, ep: 'cpu', threads: 1 });
    await first.close();
    // Over the threshold again in a second run, so that the next open must compact.
    const second = await LibraryStore.open(dir);
    for (let i = 0; i < 199; i++) await second.setSettings({ modelId: `n${i}`, ep: 'cpu', threads: 1 });
    await second.close();

    const { fs, state } = fullDiskFs();
    state.full = true;
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const store = await LibraryStore.open(dir, { fs });
    warn.mockRestore();
    expect(store.readOnly).toBe(true);
    expect(store.settings()?.modelId).toBe('n198');
    await store.close();
  });

  it('enters read-only when a write hits a full disk while running, and the next write that succeeds leaves it', async () => {
    const { fs, state } = fullDiskFs();
    const store = await LibraryStore.open(dir, { fs, retryMs: 60_000 });
    const changes: boolean[] = [];
    store.onReadOnlyChange((readOnly) => changes.push(readOnly));
    await store.addPhoto(photo('p1'));
    state.full = true;
    await expect(store.addPhoto(photo('p2'))).rejects.toMatchObject({ code: 'DISK_FULL' });
    expect(store.readOnly).toBe(true);
    state.full = false;
    await store.addPhoto(photo('p3'));
    expect(store.readOnly).toBe(false);
    expect(changes).toEqual([true, false]);
    await store.close();
    expect((await LibraryStore.open(dir)).photos().map((p) => p.id)).toEqual(['p1', 'p3']);
  });
});
