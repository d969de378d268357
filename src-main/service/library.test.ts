import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HEIC_PHOTO } from '../engine/test/paths';
import { Library } from './library';
import { LibraryStore } from './library-store';

/** A two-colour JPEG: left half red, right half blue. */
async function twoColourJpeg(file: string, orientation?: number): Promise<void> {
  const left = await sharp({ create: { width: 30, height: 40, channels: 3, background: '#ff0000' } }).png().toBuffer();
  let img = sharp({ create: { width: 60, height: 40, channels: 3, background: '#0000ff' } }).composite([{ input: left, left: 0, top: 0 }]).jpeg({ quality: 95 });
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
  return Buffer.concat([signature, pngChunk('IHDR', ihdr), pngChunk('IDAT', deflateSync(Buffer.alloc(0))), pngChunk('IEND', Buffer.alloc(0))]);
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
    expect(byName['broken.jpg']).toMatch(/^broken\.jpg (looks like an image but cannot be read|cannot be decoded): [^\n]*premature end of JPEG image$/);
    expect(byName['notes.png']).toMatch(/notes\.png is not an image/);
    expect(byName['IMG_0001.HEIC']).toMatch(/^IMG_0001\.HEIC is an HEIC photo, which the app cannot decode; convert it to JPEG or AVIF first$/);
    expect(byName['huge.png']).toMatch(/huge\.png is 20000x10000 \(200 MP\); the limit is 100 MP/);
    expect(byName['missing.jpg']).toMatch(/no such file or folder/);
    expect(library.list().map((p) => p.name).sort()).toEqual(['beach.jpg', 'forest.jpg']);
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
    await store.putChat({ id: 'c1', photoId: kitchen.id, question: 'Is there a kettle?', askedAt: 1, method: 'vtc-cls', budget: { kind: 'count', count: 16 } });

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
