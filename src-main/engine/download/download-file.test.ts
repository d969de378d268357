import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { engineErrorOf } from '../test/engine-errors';
import { downloadFile, type FileDownload, type FileProgress } from './download-file';
import { startHfFixtureServer, type HfFixtureServer } from '../test/download/hf-fixture-server';

const REPO = 'test-org/test-model';
const FILE = 'onnx/model.onnx';
const SIZE = 300_000;

let root: string;
let server: HfFixtureServer;
let content: Buffer;
let dest: string;

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function job(extra: Partial<FileDownload> = {}): FileDownload {
  return {
    url: `${server.base}/${REPO}/resolve/main/${FILE}`,
    dest,
    expected: { bytes: SIZE, sha256: sha256(content) },
    label: FILE,
    ...extra,
  };
}

beforeEach(async () => {
  root = mkdtempSync(join(tmpdir(), 'vtc-dl-'));
  content = randomBytes(SIZE);
  mkdirSync(join(root, 'served', REPO, 'onnx'), { recursive: true });
  writeFileSync(join(root, 'served', REPO, FILE), content);
  dest = join(root, 'data', 'models', 'm', FILE);
  server = await startHfFixtureServer(join(root, 'served'));
});

afterEach(async () => {
  await server.close();
  rmSync(root, { recursive: true, force: true });
});

describe('downloadFile', () => {
  it('downloads, verifies and moves the file into place, reporting progress up to the total', async () => {
    const seen: FileProgress[] = [];
    const result = await downloadFile(job({ onProgress: (p) => seen.push(p) }));
    expect(readFileSync(dest).equals(content)).toBe(true);
    expect(existsSync(`${dest}.partial`)).toBe(false);
    expect(result).toEqual({ resumedFrom: 0, transferredBytes: SIZE });
    expect(seen.at(-1)).toEqual({ receivedBytes: SIZE, totalBytes: SIZE, state: 'downloading' });
    expect(server.requests).toEqual([{ method: 'GET', file: FILE, range: undefined, acceptEncoding: 'identity', redirected: false }]);
  });

  it('follows a redirect to the CDN', async () => {
    server.redirect = true;
    await downloadFile(job());
    expect(readFileSync(dest).equals(content)).toBe(true);
    expect(server.requests.map((r) => r.redirected)).toEqual([false, true]);
  });

  it('keeps the partial when the connection drops and resumes it with Range on the next attempt', async () => {
    server.dropAfter.set(FILE, 100_000);
    const e = await engineErrorOf(downloadFile(job()));
    expect(e.code).toBe('DOWNLOAD_FAILED');
    expect(e.message).toContain('connection lost');
    expect(existsSync(dest)).toBe(false);
    const kept = statSync(`${dest}.partial`).size;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThanOrEqual(100_000);

    const result = await downloadFile(job());
    expect(server.requests.at(-1)!.range).toBe(`bytes=${kept}-`);
    expect(result).toEqual({ resumedFrom: kept, transferredBytes: SIZE - kept });
    expect(readFileSync(dest).equals(content)).toBe(true);
    expect(existsSync(`${dest}.partial`)).toBe(false);
  });

  it('starts over when the server ignores Range and answers 200', async () => {
    mkdirSync(join(root, 'data', 'models', 'm', 'onnx'), { recursive: true });
    writeFileSync(`${dest}.partial`, content.subarray(0, 50_000));
    server.ignoreRange = true;
    const result = await downloadFile(job());
    expect(server.requests.map((r) => r.range)).toEqual(['bytes=50000-']);
    expect(result).toEqual({ resumedFrom: 0, transferredBytes: SIZE });
    expect(readFileSync(dest).equals(content)).toBe(true);
  });

  it('rejects a corrupted file: CHECKSUM_MISMATCH naming the file and both sums, nothing left behind', async () => {
    const corrupted = Buffer.from(content);
    corrupted[1234] ^= 0xff;
    writeFileSync(join(root, 'served', REPO, FILE), corrupted);
    const e = await engineErrorOf(downloadFile(job()));
    expect(e.code).toBe('CHECKSUM_MISMATCH');
    expect(e.message).toContain(FILE);
    expect(e.message).toContain(sha256(content));
    expect(e.message).toContain(sha256(corrupted));
    expect(existsSync(dest)).toBe(false);
    expect(existsSync(`${dest}.partial`)).toBe(false);
  });

  it('rejects a file of the wrong size before downloading it', async () => {
    writeFileSync(join(root, 'served', REPO, FILE), content.subarray(0, SIZE - 10));
    const e = await engineErrorOf(downloadFile(job()));
    expect(e.code).toBe('CHECKSUM_MISMATCH');
    expect(e.message).toContain(`the server has ${SIZE - 10} bytes, the manifest expects ${SIZE}`);
    expect(existsSync(`${dest}.partial`)).toBe(false);
  });

  it('keeps an existing complete file in place when its replacement turns out corrupted', async () => {
    mkdirSync(join(root, 'data', 'models', 'm', 'onnx'), { recursive: true });
    writeFileSync(dest, 'previous version');
    writeFileSync(join(root, 'served', REPO, FILE), randomBytes(SIZE));
    await engineErrorOf(downloadFile(job()));
    expect(readFileSync(dest, 'utf8')).toBe('previous version');
  });

  it('names the URL on 404', async () => {
    const url = `${server.base}/${REPO}/resolve/main/onnx/missing.onnx`;
    const e = await engineErrorOf(downloadFile(job({ url })));
    expect(e.code).toBe('DOWNLOAD_FAILED');
    expect(e.message).toBe(`not found (HTTP 404): ${url}`);
  });

  it('names the status of other HTTP errors, with a hint for gated repositories', async () => {
    const url = job().url;
    server.failWith.set(FILE, 403);
    expect((await engineErrorOf(downloadFile(job()))).message).toBe(
      `HTTP 403 Forbidden from ${url} (the repository may be private or gated)`,
    );
    server.failWith.set(FILE, 503);
    expect((await engineErrorOf(downloadFile(job()))).message).toBe(`HTTP 503 Service Unavailable from ${url}`);
    await downloadFile(job());
    expect(readFileSync(dest).equals(content)).toBe(true);
  });

  it('reports a server that cannot be reached', async () => {
    const url = `${server.base}/${REPO}/resolve/main/${FILE}`;
    await server.close();
    const e = await engineErrorOf(downloadFile(job({ url })));
    expect(e.code).toBe('DOWNLOAD_FAILED');
    expect(e.message).toContain(`cannot reach ${url}`);
  });

  it('pauses on abort, keeping the partial, and a later call resumes it', async () => {
    server.stallAfter.set(FILE, 120_000);
    const controller = new AbortController();
    const onProgress = (p: FileProgress) => {
      if (p.receivedBytes >= 120_000) controller.abort();
    };
    const e = await engineErrorOf(downloadFile(job({ signal: controller.signal, onProgress })));
    expect(e.code).toBe('CANCELLED');
    expect(e.message).toContain('paused');
    expect(statSync(`${dest}.partial`).size).toBe(120_000);
    expect(existsSync(dest)).toBe(false);

    const result = await downloadFile(job());
    expect(server.requests.at(-1)!.range).toBe('bytes=120000-');
    expect(result.resumedFrom).toBe(120_000);
    expect(readFileSync(dest).equals(content)).toBe(true);
  });

  it('gives up on a server that sends no headers, in the stall timeout, with a plain message; the next attempt works', async () => {
    server.stallBeforeHeaders.add(FILE);
    const started = Date.now();
    const e = await engineErrorOf(downloadFile(job({ stallTimeoutMs: 300 })));
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(e.code).toBe('DOWNLOAD_FAILED');
    expect(e.message).toBe(
      `Download of ${FILE} stalled: no data from ${new URL(server.base).host} for 0.3 s. Nothing was received yet; pull again to retry.`,
    );
    expect(existsSync(dest)).toBe(false);

    await downloadFile(job({ stallTimeoutMs: 300 }));
    expect(readFileSync(dest).equals(content)).toBe(true);
  });

  it('gives up on a transfer that stops mid-way, keeps what came, and the next attempt resumes it with Range', async () => {
    server.stallAfter.set(FILE, 120_000);
    const started = Date.now();
    const e = await engineErrorOf(downloadFile(job({ stallTimeoutMs: 300 })));
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(e.code).toBe('DOWNLOAD_FAILED');
    expect(e.message).toBe(
      `Download of ${FILE} stalled: no data from ${new URL(server.base).host} for 0.3 s. The 0.1 MB received so far are kept; pull again to resume.`,
    );
    expect(statSync(`${dest}.partial`).size).toBe(120_000);
    expect(existsSync(dest)).toBe(false);

    const result = await downloadFile(job({ stallTimeoutMs: 300 }));
    expect(server.requests.at(-1)!.range).toBe('bytes=120000-');
    expect(result).toEqual({ resumedFrom: 120_000, transferredBytes: SIZE - 120_000 });
    expect(readFileSync(dest).equals(content)).toBe(true);
  });

  it('does not count a slow disk as a stalled server', async () => {
    const writeChunk = async (file: FileHandle, chunk: Uint8Array) => {
      await new Promise((r) => setTimeout(r, 150));
      await file.write(chunk);
    };
    await downloadFile(job({ stallTimeoutMs: 100, io: { writeChunk } }));
    expect(readFileSync(dest).equals(content)).toBe(true);
  });

  it('turns ENOSPC into DISK_FULL, keeps what was written, and resumes once space is back', async () => {
    let written = 0;
    let writes = 0;
    const writeChunk = async (file: FileHandle, chunk: Uint8Array) => {
      if (++writes === 3) {
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      }
      await file.write(chunk);
      written += chunk.length;
    };
    const e = await engineErrorOf(downloadFile(job({ io: { writeChunk } })));
    expect(e.code).toBe('DISK_FULL');
    expect(e.message).toMatch(
      /^Could not save to .*: the disk is full\. Free some space and pull again; [\d.]+ MB of [\d.]+ MB of .* kept; the next pull resumes from there\.$/,
    );
    expect(e.message).toContain(`${dest}.partial`);
    expect(written).toBeGreaterThan(0);
    expect(statSync(`${dest}.partial`).size).toBe(written);
    expect(existsSync(dest)).toBe(false);

    await downloadFile(job());
    expect(server.requests.at(-1)!.range).toBe(`bytes=${written}-`);
    expect(readFileSync(dest).equals(content)).toBe(true);
  });

  it('starts over when the kept partial is longer than the expected file', async () => {
    mkdirSync(join(root, 'data', 'models', 'm', 'onnx'), { recursive: true });
    writeFileSync(`${dest}.partial`, randomBytes(SIZE + 1));
    await downloadFile(job());
    expect(server.requests.map((r) => r.range)).toEqual([undefined]);
    expect(readFileSync(dest).equals(content)).toBe(true);
  });

  it('treats a server file shorter than the kept partial (416) as a mismatch and deletes the partial', async () => {
    mkdirSync(join(root, 'data', 'models', 'm', 'onnx'), { recursive: true });
    writeFileSync(`${dest}.partial`, content.subarray(0, 1000));
    writeFileSync(join(root, 'served', REPO, FILE), content.subarray(0, 500));
    const e = await engineErrorOf(downloadFile(job()));
    expect(e.code).toBe('CHECKSUM_MISMATCH');
    expect(server.requests.map((r) => r.range)).toEqual(['bytes=1000-']);
    expect(existsSync(`${dest}.partial`)).toBe(false);
  });

  it('finishes a complete, correct partial without a request', async () => {
    mkdirSync(join(root, 'data', 'models', 'm', 'onnx'), { recursive: true });
    writeFileSync(`${dest}.partial`, content);
    expect(await downloadFile(job())).toEqual({ resumedFrom: SIZE, transferredBytes: 0 });
    expect(server.requests).toEqual([]);
    expect(readFileSync(dest).equals(content)).toBe(true);
  });
});
