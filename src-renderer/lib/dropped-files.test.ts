import { describe, expect, it } from 'vitest';
import { looksLikeImageName } from './dropped-files';

describe('looksLikeImageName', () => {
  it('accepts the photo formats the app reads, in any case', () => {
    for (const name of ['a.jpg', 'b.JPEG', 'c.png', 'd.webp', 'e.AVIF', 'f.tif', 'g.gif']) expect(looksLikeImageName(name)).toBe(true);
  });

  it('leaves out what the app would refuse: BMP (sharp has no loader), HEIC (not decodable), SVG (no photo)', () => {
    for (const name of ['scan.bmp', 'IMG_0001.HEIC', 'logo.svg']) expect(looksLikeImageName(name)).toBe(false);
  });

  it('skips sidecars and notes found in folders', () => {
    for (const name of ['SOURCES.md', 'a.jpg.xmp', 'thumbs.db', 'png']) expect(looksLikeImageName(name)).toBe(false);
  });
});
