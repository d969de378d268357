// Downloads one file to `<dest>.partial`, resuming what an earlier attempt left there, and moves it to `dest`
// only once its size and sha256 match the manifest. So `dest` is either absent, the previous complete file, or
// the new complete file: never a partial one. A pause (abort), a lost connection or a full disk keep the partial
// for the next attempt; only a checksum or size mismatch deletes it, since its bytes are then known to be wrong.
// A server that stops sending (before its headers or mid-body) is given up on after DOWNLOAD_STALL_TIMEOUT_MS,
// like a lost connection: Node's fetch alone would wait five minutes and then say only "Headers Timeout Error".
import { createHash, type Hash } from 'node:crypto';
import { mkdir, open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { EngineError } from '../errors';
import type { ManifestFile } from '../catalog/manifest';
import { parseContentRange } from './content-range';
import { hashFileInto } from './sha256';

/** The outside world a download touches, replaceable in tests (a server that fails, a disk that fills up). */
export interface DownloadIo {
  fetch: typeof fetch;
  writeChunk(file: FileHandle, chunk: Uint8Array): Promise<void>;
}

export interface FileProgress {
  receivedBytes: number;
  totalBytes: number;
  state: 'verifying' | 'downloading';
}

export interface FileDownload {
  url: string;
  dest: string;
  expected: ManifestFile;
  /** The file's name in progress reports and error messages (its path in the repository). */
  label: string;
  signal?: AbortSignal;
  /** Give up when the server sends nothing for this long; default DOWNLOAD_STALL_TIMEOUT_MS (tests shorten it). */
  stallTimeoutMs?: number;
  onProgress?: (p: FileProgress) => void;
  io?: Partial<DownloadIo>;
}

export interface FileDownloadResult {
  /** Bytes of an earlier attempt this one continued after (0: the whole file came in this call). */
  resumedFrom: number;
  /** Bytes received over the network by this call. */
  transferredBytes: number;
}

async function writeAll(file: FileHandle, chunk: Uint8Array): Promise<void> {
  for (let done = 0; done < chunk.length; ) done += (await file.write(chunk, done, chunk.length - done)).bytesWritten;
}

export const defaultDownloadIo: DownloadIo = { fetch: (input, init) => fetch(input, init), writeChunk: writeAll };

export const megabytes = (n: number) => `${(n / 1e6).toFixed(1)} MB`;

/** How long a download waits for the server's headers, or for its next bytes, before it gives up. */
export const DOWNLOAD_STALL_TIMEOUT_MS = 30_000;

/**
 * Times each wait on the server: `during(step)` rejects once the step has taken `ms`, and aborts `signal` so
 * that the request itself is torn down. Disk writes are not timed: a slow disk is not a stalled server.
 */
function stallWatch(ms: number) {
  const controller = new AbortController();
  return {
    signal: controller.signal,
    get stalled() {
      return controller.signal.aborted;
    },
    async during<T>(step: Promise<T>): Promise<T> {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          controller.abort();
          reject(new Error('stalled'));
        }, ms);
      });
      try {
        return await Promise.race([step, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** ENOSPC / EDQUOT become DISK_FULL; anything else is passed on unchanged. */
export function asDiskError(e: unknown, path: string, kept: string): unknown {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code !== 'ENOSPC' && code !== 'EDQUOT') return e;
  return new EngineError('DISK_FULL', `disk full while writing ${path}: free some space and pull again (${kept})`);
}

async function sizeIfExists(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw e;
  }
}

/** Makes the rename itself durable; directories cannot be opened for syncing on Windows. */
async function syncDirectory(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function httpErrorMessage(res: Response, url: string): string {
  if (res.status === 404) return `not found (HTTP 404): ${url}`;
  // Hugging Face answers 401/403 for gated or private repositories.
  const hint = res.status === 401 || res.status === 403 ? ' (the repository may be private or gated)' : '';
  return `HTTP ${res.status} ${res.statusText} from ${url}${hint}`;
}

export async function downloadFile(job: FileDownload): Promise<FileDownloadResult> {
  const io: DownloadIo = { ...defaultDownloadIo, ...job.io };
  const { url, dest, expected, label, signal } = job;
  const partial = `${dest}.partial`;
  const total = expected.bytes;
  const progress = (receivedBytes: number, state: FileProgress['state']) => job.onProgress?.({ receivedBytes, totalBytes: total, state });
  const keptNote = (n: number) => `${megabytes(n)} of ${megabytes(total)} of ${label} kept; the next pull resumes from there`;

  const mismatch = async (why: string): Promise<never> => {
    await rm(partial, { force: true });
    throw new EngineError('CHECKSUM_MISMATCH', `${label} from ${url} is damaged: ${why}; the bad download was deleted, pull again`);
  };
  const paused = (n: number) => new EngineError('CANCELLED', `download paused: ${keptNote(n)}`);
  const stallMs = job.stallTimeoutMs ?? DOWNLOAD_STALL_TIMEOUT_MS;
  const watch = stallWatch(stallMs);
  const requestSignal = signal ? AbortSignal.any([signal, watch.signal]) : watch.signal;
  const stalled = (host: string, n: number) =>
    new EngineError(
      'DOWNLOAD_FAILED',
      `Download of ${label} stalled: no data from ${host} for ${stallMs / 1000} s. ` +
        (n > 0 ? `The ${megabytes(n)} received so far are kept; pull again to resume.` : 'Nothing was received yet; pull again to retry.'),
    );

  try {
    await mkdir(dirname(dest), { recursive: true });
  } catch (e) {
    throw asDiskError(e, dirname(dest), 'nothing written');
  }

  let offset = await sizeIfExists(partial);
  if (offset > total) {
    await rm(partial);
    offset = 0;
  }
  let hash: Hash = createHash('sha256');
  if (offset > 0) {
    // The digest must cover the whole file, so the kept prefix is hashed again before appending to it.
    progress(offset, 'verifying');
    await hashFileInto(hash, partial);
  }
  if (offset === total) {
    // A complete partial from an attempt that stopped before the rename: check it rather than fetch it again.
    if (hash.digest('hex') === expected.sha256) {
      await rename(partial, dest);
      await syncDirectory(dirname(dest));
      return { resumedFrom: offset, transferredBytes: 0 };
    }
    await rm(partial);
    offset = 0;
    hash = createHash('sha256');
  }
  if (signal?.aborted) throw paused(offset);

  // identity: a compressed answer would make byte offsets (Range) and sizes meaningless.
  const headers: Record<string, string> = { 'accept-encoding': 'identity' };
  if (offset > 0) headers.range = `bytes=${offset}-`;
  let res: Response;
  try {
    res = await watch.during(io.fetch(url, { headers, signal: requestSignal, redirect: 'follow' }));
  } catch (e) {
    if (signal?.aborted) throw paused(offset);
    if (watch.stalled) throw stalled(new URL(url).host, offset);
    const cause = (e as Error & { cause?: Error }).cause?.message ?? (e as Error).message;
    throw new EngineError('DOWNLOAD_FAILED', `cannot reach ${url}: ${cause}`);
  }
  if (res.status === 416) {
    await res.body?.cancel();
    return mismatch(`the server has fewer than the ${offset} bytes already downloaded, the manifest expects ${total}`);
  }
  if (!res.ok || !res.body) {
    await res.body?.cancel();
    throw new EngineError('DOWNLOAD_FAILED', httpErrorMessage(res, url));
  }

  let serverTotal: number | undefined;
  if (res.status === 206) {
    const range = parseContentRange(res.headers.get('content-range'));
    if (!range || range.start !== offset) {
      await res.body.cancel();
      throw new EngineError('DOWNLOAD_FAILED', `${url} answered a resume from byte ${offset} with Content-Range '${res.headers.get('content-range')}'`);
    }
    serverTotal = range.total;
  } else {
    // 200: the server ignored Range and sends the whole file, so the kept prefix is dropped.
    offset = 0;
    hash = createHash('sha256');
    const length = res.headers.get('content-length');
    if (length !== null) serverTotal = Number(length);
  }
  if (serverTotal !== undefined && serverTotal !== total) {
    await res.body.cancel();
    return mismatch(`the server has ${serverTotal} bytes, the manifest expects ${total}`);
  }

  const resumedFrom = offset;
  let received = offset;
  let file: FileHandle;
  try {
    file = await open(partial, offset > 0 ? 'a' : 'w');
  } catch (e) {
    await res.body.cancel();
    throw asDiskError(e, partial, keptNote(offset));
  }
  const reader = res.body.getReader();
  let finished = false;
  try {
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await watch.during(reader.read());
      } catch (e) {
        if (signal?.aborted) throw paused(received);
        // After a redirect the body comes from another host (huggingface.co sends large files from its CDN).
        if (watch.stalled) throw stalled(new URL(res.url || url).host, received);
        const cause = (e as Error & { cause?: Error }).cause?.message ?? (e as Error).message;
        throw new EngineError('DOWNLOAD_FAILED', `connection lost while downloading ${url} (${cause}): ${keptNote(received)}`);
      }
      if (chunk.done) break;
      if (received + chunk.value.length > total) {
        await file.close();
        return await mismatch(`the server sent more than the ${total} bytes the manifest expects`);
      }
      try {
        await io.writeChunk(file, chunk.value);
      } catch (e) {
        throw asDiskError(e, partial, keptNote(received));
      }
      hash.update(chunk.value);
      received += chunk.value.length;
      progress(received, 'downloading');
    }
    finished = true;
    if (received < total) {
      throw new EngineError('DOWNLOAD_FAILED', `the server closed ${url} early: ${keptNote(received)}`);
    }
    const actual = hash.digest('hex');
    if (actual !== expected.sha256) {
      await file.close();
      return await mismatch(`sha256 is ${actual}, the manifest expects ${expected.sha256}`);
    }
    try {
      await file.sync();
    } catch (e) {
      throw asDiskError(e, partial, keptNote(received));
    }
  } finally {
    if (!finished) await reader.cancel().catch(() => undefined);
    await file.close().catch(() => undefined);
  }
  await rename(partial, dest);
  await syncDirectory(dirname(dest));
  return { resumedFrom, transferredBytes: received - resumedFrom };
}
