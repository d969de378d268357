import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { engineErrorOf } from '../test/engine-errors';
import type { EngineError } from '../errors';
import { HEIC_PHOTO, photo } from '../test/paths';
import { decodeImage, decodeImageFile, MAX_IMAGE_PIXELS } from './decode-image';

const tmp = mkdtempSync(join(tmpdir(), 'vtc-decode-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Raw 8-bit pixels → an encoded image, through sharp. */
function encode(pixels: number[], width: number, height: number, channels: 1 | 2 | 3 | 4) {
  return sharp(Uint8Array.from(pixels), { raw: { width, height, channels } });
}

async function expectCode(promise: Promise<unknown>, code: EngineError['code'], message: RegExp) {
  const error = await engineErrorOf(promise);
  expect(error.code).toBe(code);
  expect(error.message).toMatch(message);
}

/** A valid 1x1 PNG whose header then claims `width` x `height` (IHDR checksum fixed up, pixel data left as is). */
async function pngClaiming(width: number, height: number): Promise<Buffer> {
  const png = Buffer.from(await encode([1, 2, 3], 1, 1, 3).png().toBuffer());
  // Signature (8) + IHDR length (4) + 'IHDR' (4), then width and height, 4 bytes each.
  png.writeUInt32BE(width, 16);
  png.writeUInt32BE(height, 20);
  png.writeUInt32BE(crc32(png.subarray(12, 29)), 29);
  return png;
}

describe('decodeImage', () => {
  it('decodes a PNG to interleaved RGB, pixel for pixel', async () => {
    const pixels = [255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30, 40, 50, 60, 70, 80, 90];
    const img = await decodeImage(await encode(pixels, 3, 2, 3).png().toBuffer(), 'rgb.png');
    expect([img.width, img.height]).toEqual([3, 2]);
    expect(Array.from(img.data)).toEqual(pixels);
  });

  it('decodes a JPEG to RGB close to its source colour', async () => {
    const pixels = Array.from({ length: 8 * 8 }, () => [200, 100, 50]).flat();
    const img = await decodeImage(await encode(pixels, 8, 8, 3).jpeg({ quality: 95 }).toBuffer(), 'flat.jpg');
    expect([img.width, img.height, img.data.length]).toEqual([8, 8, 8 * 8 * 3]);
    img.data.forEach((v, i) => expect(Math.abs(v - pixels[i])).toBeLessThanOrEqual(3));
  });

  it('replicates a grey PNG into three equal channels', async () => {
    const img = await decodeImage(await encode([10, 200, 77], 3, 1, 1).png().toBuffer(), 'grey.png');
    expect(Array.from(img.data)).toEqual([10, 10, 10, 200, 200, 200, 77, 77, 77]);
  });

  it('replicates grey and drops alpha for a grey + alpha PNG', async () => {
    const img = await decodeImage(await encode([10, 255, 200, 0], 2, 1, 2).png().toBuffer(), 'grey-alpha.png');
    expect(Array.from(img.data)).toEqual([10, 10, 10, 200, 200, 200]);
  });

  it('drops alpha from RGBA without compositing (a transparent pixel keeps its colour)', async () => {
    const img = await decodeImage(await encode([1, 2, 3, 255, 250, 120, 5, 0], 2, 1, 4).png().toBuffer(), 'rgba.png');
    expect(Array.from(img.data)).toEqual([1, 2, 3, 250, 120, 5]);
  });

  it('scales a 16-bit PNG down to 8 bits', async () => {
    const raw = Uint16Array.of(65535, 32896, 0);
    const png = await sharp(raw, { raw: { width: 1, height: 1, channels: 3 } })
      .toColourspace('rgb16')
      .png()
      .toBuffer();
    expect((await sharp(png).metadata()).depth).toBe('ushort');
    expect(Array.from((await decodeImage(png, 'deep.png')).data)).toEqual([255, 128, 0]);
  });

  it('converts a CMYK JPEG to RGB instead of reading its four channels as RGBA', async () => {
    const pixels = Array.from({ length: 4 * 4 }, () => [40, 90, 220]).flat();
    const jpeg = await encode(pixels, 4, 4, 3).toColourspace('cmyk').jpeg({ quality: 100 }).toBuffer();
    expect((await sharp(jpeg).metadata()).space).toBe('cmyk');
    const img = await decodeImage(jpeg, 'cmyk.jpg');
    expect(img.data.length).toBe(4 * 4 * 3);
    // sharp's CMYK profile round trip shifts the shades, but the colour stays blue > green > red; read as
    // RGBA the C, M, Y ink amounts would give the opposite order.
    for (let p = 0; p < 4 * 4; p++) {
      const [r, g, b] = img.data.subarray(p * 3, p * 3 + 3);
      expect(b).toBeGreaterThan(g + 40);
      expect(g).toBeGreaterThan(r + 40);
    }
  });

  it('applies the EXIF orientation (6: rotate 90° clockwise), swapping width and height', async () => {
    // 48 wide, 32 high: top half red, bottom half blue. After a clockwise turn the left half is blue.
    const [W, H] = [48, 32];
    const pixels = Array.from({ length: W * H }, (_, p) => (p < (W * H) / 2 ? [255, 0, 0] : [0, 0, 255])).flat();
    const jpeg = await encode(pixels, W, H, 3).withMetadata({ orientation: 6 }).jpeg({ quality: 100 }).toBuffer();
    expect((await sharp(jpeg).metadata()).orientation).toBe(6);
    const img = await decodeImage(jpeg, 'rotated.jpg');
    expect([img.width, img.height]).toEqual([H, W]);
    const at = (x: number, y: number) => Array.from(img.data.subarray((y * H + x) * 3, (y * H + x) * 3 + 3));
    for (const y of [0, W / 2, W - 1]) {
      expect(at(2, y)[2]).toBeGreaterThan(200); // blue on the left
      expect(at(2, y)[0]).toBeLessThan(50);
      expect(at(H - 3, y)[0]).toBeGreaterThan(200); // red on the right
      expect(at(H - 3, y)[2]).toBeLessThan(50);
    }
  });

  it('reports a truncated PNG as corrupt', async () => {
    const png = await readFile(photo('chelsea.png'));
    await expectCode(decodeImage(png.subarray(0, png.length / 2), 'half.png'), 'CORRUPT_IMAGE', /^half\.png: .*corrupt/);
  });

  it('reports a truncated JPEG as corrupt', async () => {
    const jpeg = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#336699' } })
      .jpeg()
      .toBuffer();
    await expectCode(decodeImage(jpeg.subarray(0, jpeg.length - 200), 'cut.jpg'), 'CORRUPT_IMAGE', /^cut\.jpg: .*corrupt/);
  });

  it('reports a PNG whose header is damaged as a corrupt PNG', async () => {
    const png = Buffer.from(await encode([1, 2, 3], 1, 1, 3).png().toBuffer());
    png.fill(0, 12, 40);
    await expectCode(decodeImage(png, 'broken.png'), 'CORRUPT_IMAGE', /broken\.png: the PNG file is corrupt/);
  });

  it('reports text as not an image, listing the formats it accepts', async () => {
    await expectCode(
      decodeImage(Buffer.from('hello, this is a note\n'), 'note.txt'),
      'NOT_AN_IMAGE',
      /^note\.txt: not an image \(expected JPEG, PNG, WebP, GIF, TIFF or AVIF\)$/,
    );
  });

  it('refuses a valid BMP by name rather than calling it corrupt (sharp cannot read BMP)', async () => {
    // 1x1 24-bit BMP: 14-byte file header, 40-byte info header, one red pixel (BGR) padded to 4 bytes.
    const bmp = Buffer.alloc(58);
    bmp.write('BM', 0, 'latin1');
    bmp.writeUInt32LE(58, 2);
    bmp.writeUInt32LE(54, 10);
    bmp.writeUInt32LE(40, 14);
    bmp.writeInt32LE(1, 18);
    bmp.writeInt32LE(1, 22);
    bmp.writeUInt16LE(1, 26);
    bmp.writeUInt16LE(24, 28);
    bmp.writeUInt32LE(4, 34);
    bmp.set([0, 0, 255], 54);
    await expectCode(
      decodeImage(bmp, 'scan.bmp'),
      'NOT_AN_IMAGE',
      /^scan\.bmp: BMP images are not supported \(convert it to JPEG, PNG, WebP, GIF, TIFF or AVIF\)$/,
    );
  });

  it('refuses an SVG, which sharp would draw, as import does', async () => {
    // It references a file beside it: drawn, it would pull that file in. It must never get that far.
    const svg = Buffer.from(
      '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="64" height="64"><image xlink:href="secret.png" width="64" height="64"/></svg>',
    );
    expect((await sharp(svg).metadata()).format).toBe('svg');
    await expectCode(
      decodeImage(svg, 'logo.svg'),
      'NOT_AN_IMAGE',
      /^logo\.svg: SVG images are not supported \(convert it to JPEG, PNG, WebP, GIF, TIFF or AVIF\)$/,
    );
  });

  /** The start of an ISO-BMFF file: a 'ftyp' box with the given major brand, then junk. */
  const isoFile = (brand: string) =>
    Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from(`ftyp${brand}`, 'latin1'), Buffer.alloc(40, 7)]);

  it('refuses an HEIC photo by name, whether its header parses or not', async () => {
    await expectCode(decodeImage(isoFile('heic'), 'IMG_0001.HEIC'), 'NOT_AN_IMAGE', /^IMG_0001\.HEIC: HEIC images are not supported/);
    // A real one: sharp reads its header (format 'heif', HEVC), so the refusal must not wait for the decode error.
    await expectCode(decodeImageFile(HEIC_PHOTO), 'NOT_AN_IMAGE', /red-64x48\.heic: HEIC images are not supported \(convert it to JPEG/);
  });

  it('calls a damaged AVIF corrupt, and an MP4 video not an image', async () => {
    await expectCode(decodeImage(isoFile('avif'), 'broken.avif'), 'CORRUPT_IMAGE', /^broken\.avif: the AVIF file is corrupt/);
    await expectCode(decodeImage(isoFile('isom'), 'clip.mp4'), 'NOT_AN_IMAGE', /^clip\.mp4: not an image/);
  });

  it('decodes an AVIF', async () => {
    const avif = await encode(Array.from({ length: 16 * 16 }, () => [30, 120, 200]).flat(), 16, 16, 3)
      .avif({ quality: 90 })
      .toBuffer();
    const img = await decodeImage(avif, 'photo.avif');
    expect([img.width, img.height]).toEqual([16, 16]);
    img.data.forEach((v, i) => expect(Math.abs(v - [30, 120, 200][i % 3])).toBeLessThanOrEqual(8));
  });

  it('refuses an image above the pixel limit before decoding it', async () => {
    const png = await pngClaiming(20_000, 10_000);
    expect(20_000 * 10_000).toBeGreaterThan(MAX_IMAGE_PIXELS);
    await expectCode(
      decodeImage(png, 'huge.png'),
      'IMAGE_TOO_LARGE',
      /^huge\.png: 20000x10000 is too large \(200 MP; the limit is 100 MP\)$/,
    );
  });
});

describe('decodeImageFile', () => {
  it('decodes a photo from disk', async () => {
    const img = await decodeImageFile(photo('chelsea.png'));
    expect([img.width, img.height, img.data.length]).toEqual([451, 300, 451 * 300 * 3]);
  });

  it('reports a missing file', async () => {
    const path = join(tmp, 'nope.jpg');
    await expectCode(decodeImageFile(path), 'FILE_NOT_FOUND', new RegExp(`^image not found: ${path}$`));
  });

  it('reports a folder as not an image', async () => {
    await expectCode(decodeImageFile(tmp), 'NOT_AN_IMAGE', /not a file$/);
  });

  it('reports a text file as not an image', async () => {
    const path = join(tmp, 'notes.jpg');
    writeFileSync(path, 'not really a jpeg');
    await expectCode(decodeImageFile(path), 'NOT_AN_IMAGE', /notes\.jpg: not an image/);
  });
});
