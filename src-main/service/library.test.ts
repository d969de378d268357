import { execFileSync } from 'node:child_process';
import { closeSync, constants, openSync, promises as fsp } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HEIC_PHOTO } from '../engine/test/paths';
import { ensureThumbnail, inspectImage } from './images';
import { Library } from './library';
import { LibraryStore } from './library-store';

/** A two-colour JPEG: left half red, right half blue. */
async function twoColourJpeg(file: string, orientation?: number): Promise<void> {
  const left = await sharp({ create: { width: 30, height: 40, channels: 3, background: '#ff0000' } })
    .png()
    .toBuffer();
  let img = sharp({ create: { width: 60, height: 40, channels: 3, background: '#0000ff' } })
    .composite([{ input: left, left: 0, top: 0 }])
    .jpeg({ quality: 95 });
  if (orientation) img = img.withMetadata({ orientation });
  await fsp.writeFile(file, await img.toBuffer());
}

function pngChunk(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(body.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), body])), 0);
  return Buffer.concat([head, body, crc]);
}

/** A PNG whose header claims width x height but holds no pixels: enough for a size check, no gigabytes needed. */
function pngHeaderOnly(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([
    signature,
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(Buffer.alloc(0))),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

describe('Library', () => {
  let dir: string;
  let photos: string;
  let library: Library;
  let store: LibraryStore;
  beforeEach(async () => {
    dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'vtc-lib-'));
    photos = path.join(dir, 'photos');
    await fsp.mkdir(path.join(photos, 'nested'), { recursive: true });
    store = await LibraryStore.open(path.join(dir, 'data'));
    library = new Library(store, path.join(dir, 'data'));
  });
  afterEach(() => fsp.rm(dir, { recursive: true, force: true }));

  it('imports a folder recursively and reports each bad file with a specific error', async () => {
    await twoColourJpeg(path.join(photos, 'beach.jpg'));
    await twoColourJpeg(path.join(photos, 'nested', 'forest.jpg'));
    const good = await fsp.readFile(path.join(photos, 'beach.jpg'));
    await fsp.writeFile(path.join(photos, 'broken.jpg'), good.subarray(0, Math.floor(good.length / 2)));
    await fsp.writeFile(path.join(photos, 'notes.png'), 'just some text, not a picture');
    await fsp.writeFile(path.join(photos, 'huge.png'), pngHeaderOnly(20_000, 10_000));
    await fsp.copyFile(HEIC_PHOTO, path.join(photos, 'IMG_0001.HEIC'));

    const report = await library.importPaths([photos, path.join(dir, 'missing.jpg')]);
    expect(report.added.map((p) => p.name).sort()).toEqual(['beach.jpg', 'forest.jpg']);
    const byName = Object.fromEntries(report.errors.map((e) => [path.basename(e.path), e.message]));
    expect(byName['broken.jpg']).toMatch(
      /^broken\.jpg (looks like an image but cannot be read|cannot be decoded): [^\n]*premature end of JPEG image$/,
    );
    expect(byName['notes.png']).toMatch(/notes\.png is not an image/);
    expect(byName['IMG_0001.HEIC']).toMatch(
      /^IMG_0001\.HEIC is an HEIC photo, which the app cannot decode; convert it to JPEG or AVIF first$/,
    );
    expect(byName['huge.png']).toMatch(/huge\.png is 20000x10000 \(200 MP\); the limit is 100 MP/);
    expect(byName['missing.jpg']).toMatch(/no such file or folder/);
    expect(
      library
        .list()
        .map((p) => p.name)
        .sort(),
    ).toEqual(['beach.jpg', 'forest.jpg']);
  });

  it('importing the same file twice keeps one entry', async () => {
    const file = path.join(photos, 'a.jpg');
    await twoColourJpeg(file);
    const first = await library.importPaths([file]);
    const second = await library.importPaths([file]);
    expect(second.added[0].id).toBe(first.added[0].id);
    expect(library.list()).toHaveLength(1);
  });

  it('honours EXIF orientation in size and thumbnail', async () => {
    const file = path.join(photos, 'rotated.jpg');
    await twoColourJpeg(file, 6);
    const [photo] = (await library.importPaths([file])).added;
    // Stored 60x40, orientation 6 = turn 90° clockwise to display: upright it is 40 wide, 60 high.
    expect([photo.width, photo.height]).toEqual([40, 60]);
    const thumb = sharp(await library.thumbnail(photo.id));
    const { width, height } = await thumb.metadata();
    expect([width, height]).toEqual([40, 60]);
    // The left (red) half of the stored image is the top half once upright.
    const { data } = await thumb.raw().toBuffer({ resolveWithObject: true });
    const pixel = (x: number, y: number) => [...data.subarray((y * 40 + x) * 3, (y * 40 + x) * 3 + 3)];
    expect(pixel(20, 5)[0]).toBeGreaterThan(200);
    expect(pixel(20, 55)[2]).toBeGreaterThan(200);
  });

  it('searches by file name and by past questions and answers', async () => {
    await twoColourJpeg(path.join(photos, 'Beach-day.jpg'));
    await twoColourJpeg(path.join(photos, 'kitchen.jpg'));
    const { added } = await library.importPaths([photos]);
    const kitchen = added.find((p) => p.name === 'kitchen.jpg')!;
    await store.putChat({
      id: 'c1',
      photoId: kitchen.id,
      question: 'Is there a kettle?',
      askedAt: 1,
      method: 'vtc-cls',
      budget: { kind: 'count', count: 16 },
    });

    expect(library.list('beach').map((p) => p.name)).toEqual(['Beach-day.jpg']);
    expect(library.list('KETTLE').map((p) => p.name)).toEqual(['kitchen.jpg']);
    expect(library.list('kettle beach')).toEqual([]);
    expect(library.list('  ')).toHaveLength(2);
  });

  it('remove forgets the photo and its thumbnail but never deletes the file', async () => {
    const file = path.join(photos, 'keep.jpg');
    await twoColourJpeg(file);
    const [photo] = (await library.importPaths([file])).added;
    await library.remove(photo.id);
    expect(library.list()).toEqual([]);
    await expect(fsp.access(file)).resolves.toBeUndefined();
    await expect(fsp.access(library.thumbnailFile(photo.id))).rejects.toThrow();
    await expect(library.thumbnail(photo.id)).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
  });

  it('imports an upload into the data folder and refuses a non-image upload without keeping it', async () => {
    await twoColourJpeg(path.join(photos, 'up.jpg'));
    const base64 = (await fsp.readFile(path.join(photos, 'up.jpg'))).toString('base64');
    const photo = await library.importUpload('../../evil/up.jpg', base64);
    expect(photo.name).toBe('../../evil/up.jpg');
    expect(path.dirname(photo.path)).toBe(path.join(dir, 'data', 'uploads'));

    // Errors name the file as the person chose it, not the stored copy.
    await expect(library.importUpload('text.jpg', Buffer.from('hello').toString('base64'))).rejects.toMatchObject({
      code: 'NOT_AN_IMAGE',
      message: expect.stringMatching(/^text\.jpg /),
    });
    const truncated = (await fsp.readFile(path.join(photos, 'up.jpg'))).subarray(0, 400).toString('base64');
    await expect(library.importUpload('holiday.jpg', truncated)).rejects.toMatchObject({
      code: 'CORRUPT_IMAGE',
      message: expect.stringMatching(/^holiday\.jpg /),
    });
    expect(await fsp.readdir(path.join(dir, 'data', 'uploads'))).toHaveLength(1);
  });
});

/**
 * Named pipes for a test. Opening one to read blocks until a writer comes, so cleanup opens each for writing
 * (without blocking) and closes it: a reader stuck there, had the code under test opened one, then sees the end.
 */
function fifos() {
  const made: string[] = [];
  return {
    make(file: string): string {
      execFileSync('mkfifo', [file]);
      made.push(file);
      return file;
    },
    release(): void {
      for (const file of made.splice(0)) {
        try {
          closeSync(openSync(file, constants.O_WRONLY | constants.O_NONBLOCK));
        } catch {
          // ENXIO: nobody has it open for reading, which is what the tests want.
        }
      }
    },
  };
}

/** Fails instead of waiting forever: a blocked open never settles. */
function within<T>(ms: number, promise: Promise<T>): Promise<T> {
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`still running after ${ms} ms`)), ms)),
  ]);
}

describe('Library: only regular files and folders', () => {
  let dir: string;
  let photos: string;
  let library: Library;
  const pipes = fifos();
  beforeEach(async () => {
    dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'vtc-lib-special-'));
    photos = path.join(dir, 'photos');
    await fsp.mkdir(photos);
    library = new Library(await LibraryStore.open(path.join(dir, 'data')), path.join(dir, 'data'));
  });
  afterEach(async () => {
    pipes.release();
    await fsp.rm(dir, { recursive: true, force: true });
  });

  it('refuses named pipes given by path without opening them, and goes on with the rest', async () => {
    // Four is the size of libuv's thread pool: four pipes opened there stalled every file operation of the process.
    const named = [1, 2, 3, 4].map((i) => pipes.make(path.join(dir, `pipe-${i}.jpg`)));
    await twoColourJpeg(path.join(photos, 'after.jpg'));
    const report = await within(10_000, library.importPaths([...named, path.join(photos, 'after.jpg')]));
    expect(report.added.map((p) => p.name)).toEqual(['after.jpg']);
    expect(report.errors).toEqual(
      named.map((p) => ({ path: p, message: `${p} is a named pipe, not a photo or a folder; it was not opened` })),
    );
    // The file threads are all free: more file work still completes.
    await within(5_000, fsp.readFile(path.join(photos, 'after.jpg')));
  });

  it('inspectImage and ensureThumbnail refuse a named pipe without opening it', async () => {
    const pipe = pipes.make(path.join(dir, 'later.jpg'));
    await expect(within(5_000, inspectImage(pipe))).rejects.toMatchObject({
      code: 'NOT_AN_IMAGE',
      message: 'later.jpg is a named pipe, not a photo; it was not opened',
    });
    await expect(within(5_000, ensureThumbnail(pipe, path.join(dir, 'thumb.jpg')))).rejects.toMatchObject({ code: 'NOT_AN_IMAGE' });
  });

  it('a folder walk skips pipes and sockets, and reports those named like photos', async () => {
    await twoColourJpeg(path.join(photos, 'real.jpg'));
    pipes.make(path.join(photos, 'pipe.jpg'));
    pipes.make(path.join(photos, 'pipe-without-photo-name'));
    const socket = net.createServer().listen(path.join(photos, 'socket.png'));
    await new Promise((resolve) => socket.once('listening', resolve));
    try {
      const report = await within(10_000, library.importPaths([photos]));
      expect(report.added.map((p) => p.name)).toEqual(['real.jpg']);
      expect(report.errors).toEqual([
        { path: path.join(photos, 'pipe.jpg'), message: 'pipe.jpg is a named pipe, not a photo; it was not opened' },
        { path: path.join(photos, 'socket.png'), message: 'socket.png is a socket, not a photo; it was not opened' },
      ]);
    } finally {
      socket.close();
    }
  });

  it('does not follow links out of the picked folder, and says so', async () => {
    const elsewhere = path.join(dir, 'elsewhere');
    await fsp.mkdir(path.join(elsewhere, 'album'), { recursive: true });
    await twoColourJpeg(path.join(elsewhere, 'private.jpg'));
    await twoColourJpeg(path.join(elsewhere, 'album', 'holiday.jpg'));
    await twoColourJpeg(path.join(photos, 'mine.jpg'));
    await fsp.symlink(path.join(elsewhere, 'private.jpg'), path.join(photos, 'linked.jpg'));
    await fsp.symlink(path.join(elsewhere, 'album'), path.join(photos, 'album-link'));
    await fsp.symlink(path.join(elsewhere, 'private.jpg'), path.join(photos, 'notes-link.txt'));
    await fsp.symlink(path.join(photos, 'mine.jpg'), path.join(photos, 'same.jpg'));
    await fsp.symlink(path.join(dir, 'gone.jpg'), path.join(photos, 'broken.jpg'));

    const report = await library.importPaths([photos]);
    expect(report.added.map((p) => p.path)).toEqual([path.join(photos, 'mine.jpg')]);
    const real = await fsp.realpath(elsewhere);
    expect(report.errors).toEqual(
      expect.arrayContaining([
        {
          path: path.join(photos, 'linked.jpg'),
          message: `linked.jpg is a link to ${path.join(real, 'private.jpg')}, outside the folder you picked; it was not followed (add that file itself to import it)`,
        },
        {
          path: path.join(photos, 'album-link'),
          message: `album-link is a link to ${path.join(real, 'album')}, outside the folder you picked; it was not followed (add that folder itself to import it)`,
        },
        { path: path.join(photos, 'broken.jpg'), message: 'broken.jpg is a link to something that does not exist' },
      ]),
    );
    // A link that stays inside (same.jpg) adds nothing new, and one not named like a photo is no one's concern.
    expect(report.errors).toHaveLength(3);
  });

  it('follows a link the person named themselves', async () => {
    await twoColourJpeg(path.join(dir, 'target.jpg'));
    await fsp.symlink(path.join(dir, 'target.jpg'), path.join(photos, 'chosen.jpg'));
    const report = await library.importPaths([path.join(photos, 'chosen.jpg')]);
    expect(report.added.map((p) => p.name)).toEqual(['chosen.jpg']);
  });
});

describe('Library: import progress and cancelling', () => {
  let dir: string;
  let library: Library;
  beforeEach(async () => {
    dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'vtc-lib-progress-'));
    await fsp.mkdir(path.join(dir, 'photos'));
    for (const name of ['a', 'b', 'c', 'd', 'e']) await twoColourJpeg(path.join(dir, 'photos', `${name}.jpg`));
    library = new Library(await LibraryStore.open(path.join(dir, 'data')), path.join(dir, 'data'));
  });
  afterEach(() => fsp.rm(dir, { recursive: true, force: true }));

  it('reports the folder being read, then each file with how many are done of how many', async () => {
    const folder = path.join(dir, 'photos');
    const progress: Array<{ done: number; total: number; path: string }> = [];
    const report = await library.importPaths([folder], { onProgress: (p) => progress.push(p) });
    expect(report).toMatchObject({ errors: [], cancelled: false });
    expect(report.added).toHaveLength(5);
    expect(progress).toEqual([
      { done: 0, total: 0, path: folder },
      ...['a', 'b', 'c', 'd', 'e'].map((name, i) => ({ done: i, total: 5, path: path.join(folder, `${name}.jpg`) })),
    ]);
  });

  it('stops between two files when cancelled, keeping what it added', async () => {
    const controller = new AbortController();
    const report = await library.importPaths([path.join(dir, 'photos')], {
      signal: controller.signal,
      onProgress: (p) => {
        if (p.done === 2) controller.abort();
      },
    });
    expect(report.cancelled).toBe(true);
    // c.jpg was being read when the cancel came: it is finished (sharp cannot be interrupted), nothing after it.
    expect(report.added.map((p) => p.name)).toEqual(['a.jpg', 'b.jpg', 'c.jpg']);
    expect(library.list()).toHaveLength(3);
  });
});
