// The content type of each file of the built renderer, for both places that serve it: the browser host over
// HTTP and Electron's vtc-app scheme. Text types name their charset so no browser has to guess it.
import path from 'node:path';

const RENDERER_CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
};

/** The type to send a renderer file with; unknown endings are plain bytes (and nosniff keeps them so). */
export function rendererContentType(file: string): string {
  return RENDERER_CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}
