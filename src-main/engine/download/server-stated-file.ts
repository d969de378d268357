// What the server states about a file before sending it. huggingface.co answers a resolve request for a large
// (Git LFS) file with its size in X-Linked-Size and its sha256 in X-Linked-Etag (and in its ETag), ahead of the
// redirect to the CDN; a small file's ETag is a git hash, not a sha256, so such a file comes with no checksum.
import { EngineError } from '../errors';

export interface StatedFile {
  bytes?: number;
  sha256?: string;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** The size and sha256 a HEAD of the resolve address states, without following its redirect. */
export async function serverStatedFile(url: string, fetchFn: typeof fetch = fetch): Promise<StatedFile> {
  let res: Response;
  try {
    res = await fetchFn(url, { method: 'HEAD', redirect: 'manual', headers: { 'accept-encoding': 'identity' } });
  } catch (e) {
    throw new EngineError('DOWNLOAD_FAILED', `cannot reach ${url}: ${(e as Error).message}`);
  }
  if (res.status >= 400) throw new EngineError('DOWNLOAD_FAILED', `${url} answered HTTP ${res.status}`);
  const size = res.headers.get('x-linked-size') ?? (res.status < 300 ? res.headers.get('content-length') : null);
  const tag = (res.headers.get('x-linked-etag') ?? res.headers.get('etag') ?? '').replace(/^W\//, '').replaceAll('"', '');
  const bytes = size === null ? undefined : Number(size);
  return { bytes: Number.isSafeInteger(bytes) && bytes! >= 0 ? bytes : undefined, sha256: SHA256_HEX.test(tag) ? tag : undefined };
}
