// The Electron app's URL rules, as plain functions (no Electron import) so they are easy to test:
// the renderer loads from vtc-app://app/, photos come from vtc-media://<kind>/<photoId>, and nothing else
// (no http, no file://) is fetched or trusted.
import path from 'node:path';

export const APP_SCHEME = 'vtc-app';
export const MEDIA_SCHEME = 'vtc-media';
export const APP_ORIGIN = `${APP_SCHEME}://app`;
export const APP_START_URL = `${APP_ORIGIN}/index.html`;

/**
 * The electron-vite dev server the window loads instead of the built renderer, from ELECTRON_RENDERER_URL:
 * only while developing, and only on this machine. A packaged app always loads its own files, so no
 * environment variable can point it at a page that would then be trusted with the assistant's API.
 */
export function devServerUrl(isPackaged: boolean, env: Record<string, string | undefined>): string | undefined {
  const url = env.ELECTRON_RENDERER_URL;
  if (isPackaged || !url) return undefined;
  try {
    const { protocol, hostname } = new URL(url);
    return protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(hostname) ? url : undefined;
  } catch {
    return undefined;
  }
}

export function parseMediaUrl(url: string): { kind: 'thumb' | 'photo'; photoId: string } | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== `${MEDIA_SCHEME}:` || (parsed.hostname !== 'thumb' && parsed.hostname !== 'photo')) return undefined;
  const photoId = decodedOrUndefined(parsed.pathname.replace(/^\//, ''));
  if (!photoId || photoId.includes('/')) return undefined;
  return { kind: parsed.hostname, photoId };
}

/** The file under `rendererDir` that a vtc-app:// URL names, or undefined when it would leave that folder. */
export function rendererFile(rendererDir: string, url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  // Custom schemes have an opaque origin in the URL parser, so compare scheme and host.
  if (`${parsed.protocol}//${parsed.host}` !== APP_ORIGIN) return undefined;
  const decoded = decodedOrUndefined(parsed.pathname);
  if (decoded === undefined) return undefined;
  const relative = decoded.replace(/^\/+/, '') || 'index.html';
  const root = path.resolve(rendererDir);
  const file = path.resolve(root, relative);
  return file.startsWith(root + path.sep) ? file : undefined;
}

/** Pages allowed to call the API: our renderer, or the electron-vite dev server when developing. */
export function isTrustedPage(url: string, devServerUrl?: string): boolean {
  if (url.startsWith(`${APP_ORIGIN}/`)) return true;
  return devServerUrl !== undefined && sameOrigin(url, devServerUrl);
}

/** Requests the window may make at all: our two schemes, inline data, devtools, and the dev server. */
export function isAllowedRequest(url: string, devServerUrl?: string): boolean {
  if (/^(vtc-app|vtc-media|data|blob|devtools):/.test(url)) return true;
  return devServerUrl !== undefined && sameOrigin(url, devServerUrl);
}

/** A malformed percent-escape (`%ZZ`) names nothing: undefined rather than a URIError. */
function decodedOrUndefined(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

function sameOrigin(a: string, b: string): boolean {
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
}
