// Fault: the download server stops answering, once before it sends any headers and once in the middle of a
// file. Each pull gives up within the stall timeout with one plain line, keeps what it received, and the
// next pull resumes with Range and ends with every file verified against the manifest's sha256.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { DownloadProgress } from '../../src-shared/api';
import type { ModelManifest } from '../../src-main/engine/catalog/manifest';
import { engineErrorOf } from '../../src-main/engine/test/engine-errors';
import { FIXTURE_MODEL_ID, writeFixtureModel } from '../../src-main/engine/test/download/fixture-model';
import { startHfFixtureServer, type HfFixtureServer } from '../../src-main/engine/test/download/hf-fixture-server';
import { pullModel } from '../../src-main/engine/download/pull-model';

const STALL_MS = 500;
const VISION = 'onnx/vision_encoder_q4.onnx';
const DECODER = 'onnx/decoder_model_merged_q4.onnx';

let root: string;
let manifest: ModelManifest;
let server: HfFixtureServer;
let modelDir: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'vtc-stalled-download-'));
  manifest = writeFixtureModel(join(root, 'served'), join(root, 'manifests'));
  modelDir = join(root, 'data', 'models', FIXTURE_MODEL_ID);
  server = await startHfFixtureServer(join(root, 'served'));
});

afterAll(async () => {
  await server.close();
  rmSync(root, { recursive: true, force: true });
});

const pull = (progress: DownloadProgress[] = []) =>
  pullModel({
    modelId: FIXTURE_MODEL_ID,
    baseUrl: server.base,
    dataDir: join(root, 'data'),
    manifestsDir: join(root, 'manifests'),
    stallTimeoutMs: STALL_MS,
    onProgress: (p) => progress.push(p),
  });

/** Runs a pull that must stall; returns its error, the last progress report and how long it took. */
async function stalledPull() {
  const progress: DownloadProgress[] = [];
  const started = Date.now();
  const error = await engineErrorOf(pull(progress));
  return { error, last: progress.at(-1)!, ms: Date.now() - started };
}

it('a server that stalls mid-file and then before its headers: each pull times out clearly, keeps the partial, and the last pull resumes and verifies', async () => {
  const host = new URL(server.base).host;

  // 1. The vision encoder stops after 12,000 of its 30,000 bytes.
  server.stallAfter.set(VISION, 12_000);
  const midFile = await stalledPull();
  expect(midFile.ms).toBeLessThan(STALL_MS + 4_000);
  expect(midFile.error.code).toBe('DOWNLOAD_FAILED');
  expect(midFile.error.message).toBe(
    `Download of ${VISION} stalled: no data from ${host} for 0.5 s. The 0.0 MB received so far are kept; pull again to resume.`,
  );
  expect(midFile.last).toMatchObject({ file: VISION, state: 'error', receivedBytes: 12_000, error: midFile.error.message });
  expect(statSync(join(modelDir, `${VISION}.partial`)).size).toBe(12_000);

  // 2. The next pull resumes the vision encoder, then the server never answers the decoder's request.
  server.stallBeforeHeaders.add(DECODER);
  const beforeHeaders = await stalledPull();
  expect(beforeHeaders.ms).toBeLessThan(STALL_MS + 4_000);
  expect(beforeHeaders.error.message).toBe(
    `Download of ${DECODER} stalled: no data from ${host} for 0.5 s. Nothing was received yet; pull again to retry.`,
  );
  expect(beforeHeaders.last).toMatchObject({ file: DECODER, state: 'error', receivedBytes: 0 });
  expect(server.requests.filter((r) => r.file === VISION).map((r) => r.range)).toEqual([undefined, 'bytes=12000-']);

  // 3. A pull once the server is well completes the model, every file matching the manifest's sha256.
  const result = await pull();
  expect(result.files.map((f) => [f.path, f.action])).toEqual([
    ['config.json', 'present'],
    ['tokenizer.json', 'present'],
    [VISION, 'present'],
    ['onnx/embed_tokens_int8.onnx', 'present'],
    [DECODER, 'downloaded'],
  ]);
  for (const { path } of result.files) {
    const sha256 = createHash('sha256')
      .update(readFileSync(join(modelDir, path)))
      .digest('hex');
    expect(sha256, path).toBe(manifest.files[path].sha256);
  }
});
