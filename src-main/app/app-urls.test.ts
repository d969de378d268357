import { describe, expect, it } from 'vitest';
import { devServerUrl, isAllowedRequest, isTrustedPage, parseMediaUrl, rendererFile } from './app-urls';

describe('Electron app URLs', () => {
  it('parses media URLs and refuses anything else', () => {
    expect(parseMediaUrl('vtc-media://thumb/abc-123')).toEqual({ kind: 'thumb', photoId: 'abc-123' });
    expect(parseMediaUrl('vtc-media://photo/a%20b')).toEqual({ kind: 'photo', photoId: 'a b' });
    expect(parseMediaUrl('vtc-media://file/etc/passwd')).toBeUndefined();
    expect(parseMediaUrl('vtc-media://photo/a%2f..%2fb')).toBeUndefined();
    expect(parseMediaUrl('https://thumb/abc')).toBeUndefined();
    expect(parseMediaUrl('not a url')).toBeUndefined();
    expect(parseMediaUrl('vtc-media://photo/%E0%A4%A')).toBeUndefined();
  });

  it('maps renderer URLs into the renderer folder only', () => {
    expect(rendererFile('/app/out/renderer', 'vtc-app://app/')).toBe('/app/out/renderer/index.html');
    expect(rendererFile('/app/out/renderer', 'vtc-app://app/assets/main.js')).toBe('/app/out/renderer/assets/main.js');
    expect(rendererFile('/app/out/renderer', 'vtc-app://app/..%2f..%2fsecret')).toBeUndefined();
    expect(rendererFile('/app/out/renderer', 'vtc-app://other/index.html')).toBeUndefined();
    expect(rendererFile('/app/out/renderer', 'vtc-app://app/assets/%ZZ.js')).toBeUndefined();
  });

  it('trusts only our renderer (and the dev server while developing), and lets no remote request out', () => {
    expect(isTrustedPage('vtc-app://app/index.html')).toBe(true);
    expect(isTrustedPage('https://example.com/')).toBe(false);
    expect(isTrustedPage('http://localhost:5173/', 'http://localhost:5173')).toBe(true);
    expect(isAllowedRequest('vtc-media://thumb/x')).toBe(true);
    expect(isAllowedRequest('https://cdn.example.com/font.woff2')).toBe(false);
    expect(isAllowedRequest('file:///etc/passwd')).toBe(false);
  });

  it('loads from the dev server only in development and only from this machine; a packaged app ignores it', () => {
    const dev = { ELECTRON_RENDERER_URL: 'http://localhost:5173/' };
    expect(devServerUrl(false, dev)).toBe('http://localhost:5173/');
    expect(devServerUrl(false, { ELECTRON_RENDERER_URL: 'http://127.0.0.1:5173' })).toBe('http://127.0.0.1:5173');
    expect(devServerUrl(true, dev)).toBeUndefined();
    expect(devServerUrl(false, {})).toBeUndefined();
    expect(devServerUrl(false, { ELECTRON_RENDERER_URL: 'https://attacker.example/' })).toBeUndefined();
    expect(devServerUrl(false, { ELECTRON_RENDERER_URL: 'file:///tmp/page.html' })).toBeUndefined();
    expect(devServerUrl(false, { ELECTRON_RENDERER_URL: 'not a url' })).toBeUndefined();
  });
});
