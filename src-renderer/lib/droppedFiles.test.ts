import { describe, expect, it } from 'vitest';
import { looksLikeImageName } from './droppedFiles';

describe('looksLikeImageName', () => {
  it('accepts common photo extensions in any case', () => {
    for (const name of ['a.jpg', 'b.JPEG', 'c.png', 'd.webp', 'e.HEIC', 'f.tif']) expect(looksLikeImageName(name)).toBe(true);
  });

  it('skips sidecars and notes found in folders', () => {
    for (const name of ['SOURCES.md', 'a.jpg.xmp', 'thumbs.db', 'png']) expect(looksLikeImageName(name)).toBe(false);
  });
});
