import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DownloadProgress } from '../../../src-shared/api';
import { engineErrorOf } from '../test/engine-errors';
import { FIXTURE_MODEL_ID, FIXTURE_REPO, writeFixtureModel } from '../test/download/fixture-model';
import { startHfFixtureServer, type HfFixtureServer } from '../test/download/hf-fixture-server';
import { PULL_LOCK } from './pull-lock';
import { pullModel, type PullOptions } from './pull-model';
import type { ModelManifest } from '../catalog/manifest';

let root: string;
let served: string;
let manifest: ModelManifest;
let server: HfFixtureServer;
let modelDir: string;

const CPU_FILES = [
  'config.json',
  'tokenizer.json',
  'onnx/vision_encoder_q4.onnx',
  'onnx/embed_tokens_int8.onnx',
  'onnx/decoder_model_merged_q4.onnx',
];

function pull(extra: Partial<PullOptions> = {}) {
  return pullModel({
    modelId: FIXTURE_MODEL_ID,
    baseUrl: server.base,
    dataDir: join(root, 'data'),
    manifestsDir: join(root, 'manifests'),
    ...extra,
  });
}

/** Files in the model folder, as repository paths, without the verification marker. */
function installedFiles(): string[] {
  return (readdirSync(modelDir, { recursive: true }) as string[])
    .map((p) => p.split('\\').join('/'))
    .filter((p) => p !== 'onnx' && p !== '.vtc-verified.json')
    .sort();
}

beforeEach(async () => {
  root = mkdtempSync(join(tmpdir(), 'vtc-pull-'));
  served = join(root, 'served');
  manifest = writeFixtureModel(served, join(root, 'manifests'));
  modelDir = join(root, 'data', 'models', FIXTURE_MODEL_ID);
  server = await startHfFixtureServer(served);
});

afterEach(async () => {
  await server.close();
  rmSync(root, { recursive: true, force: true });
});

describe('pullModel', () => {
  it('pulls the default variant into <data>/models/<id> in the Hugging Face layout', async () => {
    const progress: DownloadProgress[] = [];
    const result = await pull({ onProgress: (p) => progress.push(p) });
    expect(result.variant).toBe('cpu');
    expect(result.dir).toBe(modelDir);
    expect(installedFiles()).toEqual([...CPU_FILES].sort());
    for (const path of CPU_FILES) {
      expect(readFileSync(join(modelDir, path)).equals(readFileSync(join(served, FIXTURE_REPO, path)))).toBe(true);
    }
    expect(result.files.map((f) => f.action)).toEqual(CPU_FILES.map(() => 'downloaded'));
    expect(result.transferredBytes).toBe(CPU_FILES.reduce((s, p) => s + manifest.files[p].bytes!, 0));
    const done = progress.filter((p) => p.state === 'done');
    expect(done.map((p) => p.file)).toEqual(CPU_FILES);
    expect(done.every((p) => p.modelId === FIXTURE_MODEL_ID && p.receivedBytes === p.totalBytes)).toBe(true);
  });

  it('skips verified files on a second pull without a request or a re-hash', async () => {
    await pull();
    const before = server.requests.length;
    const progress: DownloadProgress[] = [];
    const result = await pull({ onProgress: (p) => progress.push(p) });
    expect(server.requests.length).toBe(before);
    expect(result.files.every((f) => f.action === 'present')).toBe(true);
    expect(result.transferredBytes).toBe(0);
    expect(progress.some((p) => p.state === 'verifying')).toBe(false);
  });

  it('re-checks a file whose mtime changed, and replaces one whose content no longer matches', async () => {
    await pull();
    const touched = join(modelDir, 'onnx/vision_encoder_q4.onnx');
    utimesSync(touched, new Date(), new Date(Date.now() - 60_000));
    const damaged = join(modelDir, 'onnx/decoder_model_merged_q4.onnx');
    const bytes = readFileSync(damaged);
    bytes[10] ^= 1;
    writeFileSync(damaged, bytes);
    const before = server.requests.length;
    const progress: DownloadProgress[] = [];
    const result = await pull({ onProgress: (p) => progress.push(p) });
    expect(
      progress
        .filter((p) => p.state === 'verifying')
        .map((p) => p.file)
        .sort(),
    ).toEqual(['onnx/decoder_model_merged_q4.onnx', 'onnx/vision_encoder_q4.onnx']);
    expect(server.requests.slice(before).map((r) => r.file)).toEqual(['onnx/decoder_model_merged_q4.onnx']);
    expect(result.files.find((f) => f.path === 'onnx/decoder_model_merged_q4.onnx')!.action).toBe('downloaded');
    expect(readFileSync(damaged).equals(readFileSync(join(served, FIXTURE_REPO, 'onnx/decoder_model_merged_q4.onnx')))).toBe(true);
  });

  it('pulls a named variant, taking modules it lacks from the default', async () => {
    await pull({ variant: 'q4' });
    expect(installedFiles()).toEqual([...CPU_FILES].sort());
    await pull({ variant: 'fp32' });
    expect(installedFiles()).toContain('onnx/decoder_model_merged.onnx');
  });

  it('refuses an unknown variant and an unknown model, listing what exists', async () => {
    const v = await engineErrorOf(pull({ variant: 'fp8' }));
    expect(v.code).toBe('VARIANT_MISSING');
    expect(v.message).toBe(`model '${FIXTURE_MODEL_ID}' has no variant 'fp8' (variants: cpu, fp32, q4)`);
    const m = await engineErrorOf(pull({ modelId: 'no-such-model' }));
    expect(m.code).toBe('BAD_ARGUMENT');
    expect(m.message).toBe(`unknown model 'no-such-model' (known models: ${FIXTURE_MODEL_ID})`);
  });

  it('resumes an interrupted pull where it stopped: finished files stay, the cut file continues with Range', async () => {
    server.dropAfter.set('onnx/embed_tokens_int8.onnx', 8_000);
    const e = await engineErrorOf(pull());
    expect(e.code).toBe('DOWNLOAD_FAILED');
    expect(existsSync(join(modelDir, 'onnx/vision_encoder_q4.onnx'))).toBe(true);
    expect(existsSync(join(modelDir, 'onnx/embed_tokens_int8.onnx'))).toBe(false);
    const before = server.requests.length;
    const result = await pull();
    const again = server.requests.slice(before);
    expect(again.map((r) => r.file)).toEqual(['onnx/embed_tokens_int8.onnx', 'onnx/decoder_model_merged_q4.onnx']);
    expect(again[0].range).toMatch(/^bytes=[1-9]\d*-$/);
    expect(result.files.map((f) => f.action)).toEqual(['present', 'present', 'present', 'resumed', 'downloaded']);
    expect(installedFiles()).toEqual([...CPU_FILES].sort());
  });

  it('pauses on abort (state paused, partial kept) and a later pull completes', async () => {
    server.stallAfter.set('onnx/decoder_model_merged_q4.onnx', 10_000);
    const controller = new AbortController();
    const progress: DownloadProgress[] = [];
    const onProgress = (p: DownloadProgress) => {
      progress.push(p);
      if (p.file === 'onnx/decoder_model_merged_q4.onnx' && p.receivedBytes >= 10_000) controller.abort();
    };
    const e = await engineErrorOf(pull({ signal: controller.signal, onProgress }));
    expect(e.code).toBe('CANCELLED');
    expect(progress.at(-1)).toMatchObject({ file: 'onnx/decoder_model_merged_q4.onnx', state: 'paused', receivedBytes: 10_000 });
    expect(readFileSync(join(modelDir, 'onnx/decoder_model_merged_q4.onnx.partial')).length).toBe(10_000);
    const result = await pull();
    expect(server.requests.at(-1)!.range).toBe('bytes=10000-');
    expect(result.files.at(-1)!.action).toBe('resumed');
  });

  it('reports DISK_FULL from a failed write (state error), keeping finished files, then completes', async () => {
    // The disk "fills up" once about 40 kB are written: inside the vision or the embed file.
    let written = 0;
    const writeChunk = async (file: FileHandle, chunk: Uint8Array) => {
      written += chunk.length;
      if (written > 40_000) {
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      }
      await file.write(chunk);
    };
    const progress: DownloadProgress[] = [];
    const e = await engineErrorOf(pull({ io: { writeChunk }, onProgress: (p) => progress.push(p) }));
    expect(e.code).toBe('DISK_FULL');
    expect(progress.at(-1)).toMatchObject({ state: 'error', error: e.message });
    expect(existsSync(join(modelDir, 'config.json'))).toBe(true);
    await pull();
    expect(installedFiles()).toEqual([...CPU_FILES].sort());
  });

  it('refuses up front when the disk lacks room for what is missing', async () => {
    const e = await engineErrorOf(pull({ freeBytes: async () => 1_000 }));
    expect(e.code).toBe('DISK_FULL');
    expect(e.message).toMatch(/needs 0\.1 MB more in .*, but only 0\.0 MB is free/);
    expect(server.requests).toEqual([]);
  });

  it('stops at a 404 naming the URL', async () => {
    rmSync(join(served, FIXTURE_REPO, 'tokenizer.json'));
    const e = await engineErrorOf(pull());
    expect(e.code).toBe('DOWNLOAD_FAILED');
    expect(e.message).toBe(`not found (HTTP 404): ${server.base}/${FIXTURE_REPO}/resolve/main/tokenizer.json`);
  });
});

describe('pull lock', () => {
  it('refuses a second pull of the same model while one runs, and frees the lock when it ends', async () => {
    server.stallAfter.set('onnx/vision_encoder_q4.onnx', 1_000);
    const controller = new AbortController();
    const first = pull({ signal: controller.signal });
    await vi.waitFor(() => expect(server.requests.some((r) => r.file === 'onnx/vision_encoder_q4.onnx')).toBe(true));
    const second = await engineErrorOf(pull());
    expect(second.code).toBe('DOWNLOAD_FAILED');
    expect(second.message).toBe(
      `${FIXTURE_MODEL_ID} is already being downloaded by process ${process.pid}; wait for it to finish or stop it`,
    );
    controller.abort();
    expect((await engineErrorOf(first)).code).toBe('CANCELLED');
    expect(existsSync(join(modelDir, PULL_LOCK))).toBe(false);
    await pull();
    expect(installedFiles()).toEqual([...CPU_FILES].sort());
  });

  it('takes over a lock left by a process that has exited', async () => {
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    mkdirSync(modelDir, { recursive: true });
    writeFileSync(join(modelDir, PULL_LOCK), String(dead));
    await pull();
    expect(installedFiles()).toEqual([...CPU_FILES].sort());
    expect(existsSync(join(modelDir, PULL_LOCK))).toBe(false);
  });
});

describe('pullModel where the manifest gives no sizes or sums (checked against what the server states)', () => {
  /** The fixture's manifest with its file entries emptied, as for a repository whose sums nobody recorded. */
  function withoutSums() {
    const bare = { ...manifest, files: Object.fromEntries(Object.keys(manifest.files).map((p) => [p, {}])) };
    writeFileSync(join(root, 'manifests', `${FIXTURE_MODEL_ID}.json`), JSON.stringify(bare));
  }
  const weights = 'onnx/decoder_model_merged_q4.onnx';

  beforeEach(() => {
    withoutSums();
    server.statesFiles = true;
    server.redirect = true;
  });

  it("verifies every file against the resolve answer's X-Linked-Size and X-Linked-Etag", async () => {
    const result = await pull();
    expect(installedFiles()).toEqual([...CPU_FILES].sort());
    expect(result.transferredBytes).toBe(CPU_FILES.reduce((s, p) => s + manifest.files[p].bytes!, 0));
    // Each file is asked about first (HEAD, not following the redirect), then fetched.
    expect(server.requests.filter((r) => r.method === 'HEAD').map((r) => r.file)).toEqual(CPU_FILES);
    expect((await pull()).files.every((f) => f.action === 'present')).toBe(true);
  });

  it('refuses a file whose size the server misstates, keeping nothing of it', async () => {
    server.statedSize.set(weights, manifest.files[weights].bytes! + 1);
    const e = await engineErrorOf(pull());
    expect(e.code).toBe('CHECKSUM_MISMATCH');
    expect(e.message).toMatch(
      /onnx\/decoder_model_merged_q4\.onnx .* is damaged: the server has 50000 bytes, the server \(.*\) expects 50001/,
    );
    expect(existsSync(join(modelDir, weights))).toBe(false);
    expect(existsSync(join(modelDir, `${weights}.partial`))).toBe(false);
  });

  it('refuses a file whose bytes do not have the sha256 the server states', async () => {
    server.statedSha256.set(weights, 'f'.repeat(64));
    const e = await engineErrorOf(pull());
    expect(e.code).toBe('CHECKSUM_MISMATCH');
    expect(e.message).toMatch(new RegExp(`sha256 is [0-9a-f]{64}, the server \\(.*\\) expects ${'f'.repeat(64)}`));
    expect(existsSync(join(modelDir, weights))).toBe(false);
  });

  it('refuses before downloading anything when no checksum is stated, unless told --no-verify', async () => {
    server.statesFiles = false;
    server.redirect = false;
    const e = await engineErrorOf(pull());
    expect(e.code).toBe('DOWNLOAD_FAILED');
    expect(e.message).toMatch(/gives a sha256 for config\.json .*nothing was downloaded\. Pull with --no-verify/);
    expect(server.requests.every((r) => r.method === 'HEAD')).toBe(true);
    expect(existsSync(modelDir) ? installedFiles() : []).toEqual([]);

    // Plain HEAD answers still state sizes (Content-Length), which --no-verify checks.
    server.statesFiles = true;
    server.statedSha256.set('config.json', 'not a sha256');
    await expect(pull()).rejects.toThrow(/gives a sha256 for config\.json/);
    const unchecked = await pull({ noVerify: true });
    expect(unchecked.files.map((f) => f.path)).toEqual(CPU_FILES);
    expect(readFileSync(join(modelDir, 'config.json')).equals(readFileSync(join(served, FIXTURE_REPO, 'config.json')))).toBe(true);
  });
});
