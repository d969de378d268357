// Download addresses in the Hugging Face layout: `<base>/<repo>/resolve/<revision>/<path>`. The base is
// configurable so a mirror, a proxy or a local test server can stand in for huggingface.co.
import { EngineError } from '../errors';

export const DEFAULT_HF_BASE = 'https://huggingface.co';

/** The explicit option wins, then VTC_HF_BASE, then HF_ENDPOINT (the Hugging Face tools' own mirror setting). */
export function resolveHfBase(option: string | undefined, env: Record<string, string | undefined> = process.env): string {
  const base = option || env.VTC_HF_BASE || env.HF_ENDPOINT || DEFAULT_HF_BASE;
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw new EngineError('BAD_ARGUMENT', `download base '${base}' is not a URL (expected e.g. ${DEFAULT_HF_BASE})`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new EngineError('BAD_ARGUMENT', `download base '${base}' must be an http:// or https:// URL`);
  }
  return base.replace(/\/+$/, '');
}

export function hfFileUrl(base: string, repo: string, revision: string, path: string): string {
  const encodedPath = path.split('/').map(encodeURIComponent).join('/');
  return `${base}/${repo}/resolve/${encodeURIComponent(revision)}/${encodedPath}`;
}
