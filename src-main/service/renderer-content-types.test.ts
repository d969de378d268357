import { describe, expect, it } from 'vitest';
import { rendererContentType } from './renderer-content-types';

describe('rendererContentType', () => {
  it('names text types with their charset, whatever the ending case, and unknown endings as bytes', () => {
    expect(rendererContentType('/out/renderer/index.html')).toBe('text/html; charset=utf-8');
    expect(rendererContentType('assets/index-3f2a.JS')).toBe('text/javascript; charset=utf-8');
    expect(rendererContentType('assets/font.woff2')).toBe('font/woff2');
    expect(rendererContentType('assets/notes.txt')).toBe('application/octet-stream');
  });
});
