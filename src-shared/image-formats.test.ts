import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import {
  extensionOf,
  hasImageExtension,
  IMAGE_ACCEPT,
  IMAGE_EXTENSIONS,
  IMAGE_FORMAT_NAMES,
  IMAGE_FORMATS,
  isSharpImageFormat,
} from './image-formats';

describe('the image format list', () => {
  it('names only formats this sharp decodes from files and buffers, with the endings sharp knows them by', () => {
    for (const format of IMAGE_FORMATS) {
      const known = sharp.format[format.sharp as keyof typeof sharp.format];
      expect(known?.input, format.label).toMatchObject({ file: true, buffer: true });
      // sharp lists one ending for its 'heif' (AVIF); for the others its list and ours agree.
      for (const ext of known.input.fileSuffix ?? []) if (format.sharp !== 'heif') expect(format.extensions).toContain(ext);
    }
  });

  it('leaves out BMP, which this sharp cannot decode, and SVG, which it can but is no photo', () => {
    expect(Object.keys(sharp.format)).not.toContain('bmp');
    expect(sharp.format.svg.input.file).toBe(true);
    expect(isSharpImageFormat('svg')).toBe(false);
    for (const name of ['scan.bmp', 'logo.svg', 'logo.svgz']) expect(hasImageExtension(name)).toBe(false);
  });

  it('matches endings in any case, from the last dot of the file name', () => {
    for (const name of ['a.jpg', 'b.JPEG', 'c.png', 'd.webp', 'e.Avif', 'f.tif', '/photos/2024.05/g.gif', 'C:\\photos\\h.jfif']) {
      expect(hasImageExtension(name), name).toBe(true);
    }
    for (const name of ['a.jpg.xmp', 'png', '.jpg', 'photos.jpg/readme', 'IMG_0001.HEIC'])
      expect(hasImageExtension(name), name).toBe(false);
    expect(extensionOf('/a.b/c')).toBe('');
  });

  it('gives a picker and a message the same list', () => {
    expect(IMAGE_ACCEPT.split(',')).toEqual(IMAGE_EXTENSIONS);
    expect(IMAGE_FORMAT_NAMES).toBe('JPEG, PNG, WebP, GIF, TIFF or AVIF');
  });
});
