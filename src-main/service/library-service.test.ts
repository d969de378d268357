import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { ImportEvent, LibraryReadOnlyEvent } from '../../src-shared/api';
import { nodeJournalFileSystem, type JournalFileSystem } from './journal';
import { DemoAlbum } from './demo-album';
import { Library } from './library';
import { createLibraryService, type LibraryService } from './library-service';
import { LibraryStore } from './library-store';

let root: string;
let album: string;
let store: LibraryStore;
let service: LibraryService;
let events: Array<ImportEvent | LibraryReadOnlyEvent>;
/** Called with each event as it is sent, to act in the middle of an import. */
let onEvent: (e: ImportEvent | LibraryReadOnlyEvent) => void;
const disk = { full: false };
const ENOSPC = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
/** The real file system, except that while the disk is `full` every journal write fails with ENOSPC. */
const journalFs: JournalFileSystem = {
  ...nodeJournalFileSystem,
  appendDurably: (file, data) => (disk.full ? Promise.reject(ENOSPC()) : nodeJournalFileSystem.appendDurably(file, data)),
  writeDurably: (file, data) => (disk.full ? Promise.reject(ENOSPC()) : nodeJournalFileSystem.writeDurably(file, data)),
};

const progressOf = (importId: string) => events.filter((e): e is ImportEvent => e.type === 'import-progress' && e.importId === importId);

beforeEach(async () => {
  root = await fsp.mkdtemp(path.join(os.tmpdir(), 'vtc-library-service-'));
  album = path.join(root, 'album');
  await fsp.mkdir(album);
  for (let i = 0; i < 5; i++) {
    await sharp({ create: { width: 48, height: 32, channels: 3, background: '#808080' } })
      .jpeg()
      .toFile(path.join(album, `${i}.jpg`));
  }
  disk.full = false;
  const dataDir = path.join(root, 'data');
  store = await LibraryStore.open(dataDir, { fs: journalFs, retryMs: 20 });
  events = [];
  onEvent = () => undefined;
  const library = new Library(store, dataDir);
  service = createLibraryService({
    store,
    library,
    demo: new DemoAlbum(library, dataDir),
    emit: (e) => {
      events.push(e);
      onEvent(e);
    },
  });
});

afterEach(async () => {
  service.stop();
  disk.full = false;
  await store.close();
  await fsp.rm(root, { recursive: true, force: true });
});

it("streams progress under the import's id, stops on cancelImport, and refuses a second import of that id while it runs", async () => {
  let second: Promise<unknown> | undefined;
  onEvent = (e) => {
    if (e.type !== 'import-progress' || e.importId !== 'album-1') return;
    second ??= service.api.importPaths({ paths: [album], importId: 'album-1' }).then(
      () => 'it ran',
      (error: Error) => error.message,
    );
    // Cancelled while the third file is read: that one is finished, none after it.
    if (e.done === 2) void service.api.cancelImport({ importId: 'album-1' });
  };
  const report = await service.api.importPaths({ paths: [album], importId: 'album-1' });
  expect(report).toMatchObject({ cancelled: true, errors: [] });
  expect(report.added.map((p) => p.name)).toEqual(['0.jpg', '1.jpg', '2.jpg']);
  expect(progressOf('album-1').map((e) => [e.done, e.total, path.basename(e.path)])).toEqual([
    [0, 0, 'album'],
    [0, 5, '0.jpg'],
    [1, 5, '1.jpg'],
    [2, 5, '2.jpg'],
  ]);
  expect(await second).toBe("An import named 'album-1' is already running");

  // Once it has ended, the id is free again; the photos already there are returned as they are.
  onEvent = () => undefined;
  const again = await service.api.importPaths({ paths: [album], importId: 'album-1' });
  expect(again).toMatchObject({ cancelled: false, errors: [] });
  expect(again.added.slice(0, 3)).toEqual(report.added);
  expect((await service.api.listPhotos({})).length).toBe(5);
});

it('stops an import when its caller goes away, and on stop()', async () => {
  const gone = new AbortController();
  onEvent = (e) => {
    if (e.type === 'import-progress' && e.done === 1) gone.abort();
  };
  const left = await service.api.importPaths({ paths: [album] }, gone.signal);
  expect(left.cancelled).toBe(true);
  expect(left.added.map((p) => p.name)).toEqual(['0.jpg', '1.jpg']);

  onEvent = (e) => {
    if (e.type === 'import-progress' && e.done === 3) service.stop();
  };
  const stopped = await service.api.importPaths({ paths: [album] });
  expect(stopped.cancelled).toBe(true);
  expect(stopped.added).toHaveLength(4);
});

it('reports the library read-only while the disk is full, and back once a write succeeds', async () => {
  expect(await service.api.libraryHealth()).toEqual({ readOnly: false, notices: [] });
  disk.full = true;
  await expect(service.api.importPaths({ paths: [path.join(album, '0.jpg')] })).rejects.toMatchObject({ code: 'DISK_FULL' });
  expect(events.filter((e) => e.type === 'library-read-only')).toEqual([{ type: 'library-read-only', readOnly: true }]);
  expect(await service.api.libraryHealth()).toMatchObject({ readOnly: true });

  disk.full = false;
  for (let i = 0; i < 200 && store.readOnly; i++) await new Promise((r) => setTimeout(r, 10));
  expect(events.filter((e) => e.type === 'library-read-only')).toEqual([
    { type: 'library-read-only', readOnly: true },
    { type: 'library-read-only', readOnly: false },
  ]);
  expect(await service.api.libraryHealth()).toMatchObject({ readOnly: false });
});

it('serves a thumbnail and the photo by id only, and removes a photo from the library', async () => {
  const { added } = await service.api.importPaths({ paths: [path.join(album, '0.jpg')] });
  const thumb = await service.media('thumb', added[0].id);
  expect(thumb.contentType).toBe('image/jpeg');
  expect((await sharp(thumb.data).metadata()).format).toBe('jpeg');
  expect((await service.media('photo', added[0].id)).contentType).toBe('image/jpeg');
  await expect(service.media('photo', path.join(album, '0.jpg'))).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
  await service.api.removePhoto({ photoId: added[0].id });
  expect(await service.api.listPhotos({})).toEqual([]);
  await expect(fsp.access(path.join(album, '0.jpg'))).resolves.toBeUndefined();
});
