// Downloads one file to `<dest>.partial`, resuming what an earlier attempt left there, and moves it to `dest`
// only once its size and sha256 match what is expected (the manifest's, or the server's statement). So `dest` is either absent, the previous complete file, or
// the new complete file: never a partial one. A pause (abort), a lost connection or a full disk keep the partial
// for the next attempt; only a checksum or size mismatch deletes it, since its bytes are then known to be wrong.
// A server that stops sending (before its headers or mid-body) is given up on after DOWNLOAD_STALL_TIMEOUT_MS,
// like a lost connection: Node's fetch alone would wait five minutes and then say only "Headers Timeout Error".
import { createHash, type Hash } from 'node:crypto';
import { mkdir, open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { EngineError } from '../errors';
import type { ExpectedFile } from '../catalog/manifest';
import { syncFolder } from '../storage/atomic-write';
import { hashFileInto } from '../storage/file-hash';
import { asStorageError } from '../storage/storage-error';
import { parseContentRange } from './content-range';

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
  /** No sha256: the user took the file unchecked (`--no-verify`); only its size is checked. */
  expected: ExpectedFile;
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
  for (let done = 0; done < chunk.length;) done += (await file.write(chunk, done, chunk.length - done)).bytesWritten;
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

/** DISK_FULL for a full disk, saying what the next pull starts from; anything else is passed on unchanged. */
export function asDiskError(e: unknown, path: string, kept: string): Error {
  return asStorageError(e, path, `pull again; ${kept}`);
}

async function sizeIfExists(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw e;
  }
}

function httpErrorMessage(res: Response, url: string): string {
  if (res.status === 404) return `not found (HTTP 404): ${url}`;
  // Hugging Face answers 401/403 for gated or private repositories.
  const hint = res.status === 401 || res.status === 403 ? ' (the repository may be private or gated)' : '';
  return `HTTP ${res.status} ${res.statusText} from ${url}${hint}`;
}

/** What one call works with, shared by its steps: the job, the partial file's name and the stall timer. */
interface Attempt {
  job: FileDownload;
  io: DownloadIo;
  partial: string;
  total: number;
  stallMs: number;
  watch: ReturnType<typeof stallWatch>;
}

/** Where the bytes of this attempt start, and the digest of those before them. */
interface Start {
  offset: number;
  hash: Hash;
}

export async function downloadFile(job: FileDownload): Promise<FileDownloadResult> {
  const stallMs = job.stallTimeoutMs ?? DOWNLOAD_STALL_TIMEOUT_MS;
  const a: Attempt = {
    job,
    io: { ...defaultDownloadIo, ...job.io },
    partial: `${job.dest}.partial`,
    total: job.expected.bytes,
    stallMs,
    watch: stallWatch(stallMs),
  };
  try {
    await mkdir(dirname(job.dest), { recursive: true });
  } catch (e) {
    throw asDiskError(e, dirname(job.dest), 'nothing was written yet');
  }
  // 1. Plan the range: continue after what an earlier attempt kept, or finish a complete one without a request.
  const kept = await planRange(a);
  if (kept.complete) {
    await moveIntoPlace(a);
    return { resumedFrom: kept.offset, transferredBytes: 0 };
  }
  if (job.signal?.aborted) throw paused(a, kept.offset);
  // 2. Open the request, waiting at most the stall timeout for its headers.
  const res = await openRequest(a, kept.offset);
  // 3. The answer decides where the bytes start: after the kept prefix (206) or from 0 again (200).
  const { start, body } = await acceptAnswer(a, res, kept);
  // 4. Stream the body into the partial file, hashing it as it comes; 5. verify it, then make it durable.
  const received = await streamToPartial(a, body, res.url || job.url, start);
  // 6. Move into place: `dest` only ever holds a complete, verified file.
  await moveIntoPlace(a);
  return { resumedFrom: start.offset, transferredBytes: received - start.offset };
}

/**
 * The partial file's length and its digest, re-hashed since the digest must cover the whole file. One longer than
 * the file is dropped; one of exactly its length is `complete` when its sum matches, and dropped when it does not.
 */
async function planRange(a: Attempt): Promise<Start & { complete: boolean }> {
  let offset = await sizeIfExists(a.partial);
  if (offset > a.total) {
    await rm(a.partial);
    offset = 0;
  }
  const hash = createHash('sha256');
  if (offset > 0) {
    progress(a, offset, 'verifying');
    await hashFileInto(hash, a.partial);
  }
  if (offset !== a.total) return { offset, hash, complete: false };
  // A complete partial from an attempt that stopped before the rename: check it rather than fetch it again.
  if (!a.job.expected.sha256 || hash.digest('hex') === a.job.expected.sha256) return { offset, hash, complete: true };
  await rm(a.partial);
  return { offset: 0, hash: createHash('sha256'), complete: false };
}

/** Asks for the bytes from `offset` on; a pause, a stall or an unreachable server each end it with their own message. */
async function openRequest(a: Attempt, offset: number): Promise<Response> {
  const { url, signal } = a.job;
  // identity: a compressed answer would make byte offsets (Range) and sizes meaningless.
  const headers: Record<string, string> = { 'accept-encoding': 'identity' };
  if (offset > 0) headers.range = `bytes=${offset}-`;
  const requestSignal = signal ? AbortSignal.any([signal, a.watch.signal]) : a.watch.signal;
  try {
    return await a.watch.during(a.io.fetch(url, { headers, signal: requestSignal, redirect: 'follow' }));
  } catch (e) {
    if (signal?.aborted) throw paused(a, offset);
    if (a.watch.stalled) throw stalled(a, new URL(url).host, offset);
    throw new EngineError('DOWNLOAD_FAILED', `cannot reach ${url}: ${causeOf(e)}`);
  }
}

/**
 * Takes the server's answer apart: an error status fails the download, a resume (206) must start where the partial
 * ends, a whole file (200: the server ignored Range) drops the kept prefix, and a size other than the manifest's
 * deletes the partial before a byte is read. Every refused answer's body is cancelled, freeing the connection.
 */
async function acceptAnswer(a: Attempt, res: Response, kept: Start): Promise<{ start: Start; body: ReadableStream<Uint8Array> }> {
  const { url } = a.job;
  if (res.status === 416) {
    await res.body?.cancel();
    return discard(a, `the server has fewer than the ${kept.offset} bytes already downloaded, ${expecter(a)} expects ${a.total}`);
  }
  if (!res.ok || !res.body) {
    await res.body?.cancel();
    throw new EngineError('DOWNLOAD_FAILED', httpErrorMessage(res, url));
  }
  let start = kept;
  let serverTotal: number | undefined;
  if (res.status === 206) {
    const range = parseContentRange(res.headers.get('content-range'));
    if (!range || range.start !== kept.offset) {
      await res.body.cancel();
      throw new EngineError(
        'DOWNLOAD_FAILED',
        `${url} answered a resume from byte ${kept.offset} with Content-Range '${res.headers.get('content-range')}'`,
      );
    }
    serverTotal = range.total;
  } else {
    start = { offset: 0, hash: createHash('sha256') };
    const length = res.headers.get('content-length');
    if (length !== null) serverTotal = Number(length);
  }
  if (serverTotal !== undefined && serverTotal !== a.total) {
    await res.body.cancel();
    return discard(a, `the server has ${serverTotal} bytes, ${expecter(a)} expects ${a.total}`);
  }
  return { start, body: res.body };
}

/**
 * Appends the body to the partial file (or writes it afresh from 0), then checks the size and the sha256 and
 * fsyncs it. Returns the file's length. Only the waits on the server are timed, not the disk writes.
 */
async function streamToPartial(a: Attempt, body: ReadableStream<Uint8Array>, bodyUrl: string, start: Start): Promise<number> {
  const { partial } = a;
  let file: FileHandle;
  try {
    file = await open(partial, start.offset > 0 ? 'a' : 'w');
  } catch (e) {
    await body.cancel();
    throw asDiskError(e, partial, keptNote(a, start.offset));
  }
  try {
    const received = await writeBody(a, body, bodyUrl, file, start);
    await verify(a, file, received, start.hash);
    try {
      await file.sync();
    } catch (e) {
      throw asDiskError(e, partial, keptNote(a, received));
    }
    return received;
  } finally {
    await file.close().catch(() => undefined);
  }
}

/** Reads the body to its end into `file`; on any failure the body is cancelled and what was written stays. */
async function writeBody(a: Attempt, body: ReadableStream<Uint8Array>, bodyUrl: string, file: FileHandle, start: Start): Promise<number> {
  const { url, signal } = a.job;
  const reader = body.getReader();
  let received = start.offset;
  try {
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await a.watch.during(reader.read());
      } catch (e) {
        if (signal?.aborted) throw paused(a, received);
        // After a redirect the body comes from another host (huggingface.co sends large files from its CDN).
        if (a.watch.stalled) throw stalled(a, new URL(bodyUrl).host, received);
        throw new EngineError('DOWNLOAD_FAILED', `connection lost while downloading ${url} (${causeOf(e)}): ${keptNote(a, received)}`);
      }
      if (chunk.done) return received;
      if (received + chunk.value.length > a.total) {
        await file.close();
        return await discard(a, `the server sent more than the ${a.total} bytes ${expecter(a)} expects`);
      }
      try {
        await a.io.writeChunk(file, chunk.value);
      } catch (e) {
        throw asDiskError(e, a.partial, keptNote(a, received));
      }
      start.hash.update(chunk.value);
      received += chunk.value.length;
      progress(a, received, 'downloading');
    }
  } catch (e) {
    await reader.cancel().catch(() => undefined);
    throw e;
  }
}

/** A short file is kept to be resumed (the server closed early); one of the right size with another sum is deleted. */
async function verify(a: Attempt, file: FileHandle, received: number, hash: Hash): Promise<void> {
  if (received < a.total) {
    throw new EngineError('DOWNLOAD_FAILED', `the server closed ${a.job.url} early: ${keptNote(a, received)}`);
  }
  const actual = hash.digest('hex');
  if (a.job.expected.sha256 && actual !== a.job.expected.sha256) {
    await file.close();
    await discard(a, `sha256 is ${actual}, ${expecter(a)} expects ${a.job.expected.sha256}`);
  }
}

/** The verified partial becomes `dest` in one rename, made durable before the download counts as done. */
async function moveIntoPlace(a: Attempt): Promise<void> {
  await rename(a.partial, a.job.dest);
  await syncFolder(dirname(a.job.dest));
}

/** Who stated the size and sha256 a download is checked against. */
const expecter = (a: Attempt) => a.job.expected.statedBy ?? 'the manifest';

/** Deletes the partial, whose bytes are now known to be wrong, and says so. */
async function discard(a: Attempt, why: string): Promise<never> {
  await rm(a.partial, { force: true });
  throw new EngineError(
    'CHECKSUM_MISMATCH',
    `${a.job.label} from ${a.job.url} is damaged: ${why}; the bad download was deleted, pull again`,
  );
}

function progress(a: Attempt, receivedBytes: number, state: FileProgress['state']): void {
  a.job.onProgress?.({ receivedBytes, totalBytes: a.total, state });
}

function keptNote(a: Attempt, n: number): string {
  return `${megabytes(n)} of ${megabytes(a.total)} of ${a.job.label} kept; the next pull resumes from there`;
}

function paused(a: Attempt, n: number): EngineError {
  return new EngineError('CANCELLED', `download paused: ${keptNote(a, n)}`);
}

function stalled(a: Attempt, host: string, n: number): EngineError {
  return new EngineError(
    'DOWNLOAD_FAILED',
    `Download of ${a.job.label} stalled: no data from ${host} for ${a.stallMs / 1000} s. ` +
      (n > 0 ? `The ${megabytes(n)} received so far are kept; pull again to resume.` : 'Nothing was received yet; pull again to retry.'),
  );
}

/** Node's fetch puts the reason (ECONNREFUSED, "other side closed") in `cause`; its own message is "fetch failed". */
function causeOf(e: unknown): string {
  return (e as Error & { cause?: Error }).cause?.message ?? (e as Error).message;
}
