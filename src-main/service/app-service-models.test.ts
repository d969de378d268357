import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DownloadProgress, ServerEvent } from '../../src-shared/api';
import { FIXTURE_MODEL_ID, writeFixtureModel } from '../engine/test/download/fixture-model';
import { startHfFixtureServer, type HfFixtureServer } from '../engine/test/download/hf-fixture-server';
import { createAppService, type AppService } from './app-service';
import { forkLauncher } from './engine-process/engine-launcher';
import { engineCatalog } from './engine-catalog';

const engineWorker = path.join(import.meta.dirname, 'engine-process', 'engine-worker.ts');
type DownloadEvent = Extract<ServerEvent, { type: 'download' }>;

describe('AppService models: download with progress, pause and resume; import a folder', () => {
  let root: string;
  let server: HfFixtureServer;
  let service: AppService;
  const downloads: DownloadEvent[] = [];
  const previousBase = process.env.VTC_HF_BASE;

  const waitFor = async (match: (e: DownloadEvent) => boolean): Promise<DownloadEvent> => {
    for (let i = 0; i < 600; i++) {
      const found = downloads.find(match);
      if (found) return found;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('no such download event');
  };

  beforeAll(async () => {
    root = await fsp.mkdtemp(path.join(os.tmpdir(), 'vtc-models-'));
    const manifestsDir = path.join(root, 'manifests');
    writeFixtureModel(path.join(root, 'served'), manifestsDir);
    server = await startHfFixtureServer(path.join(root, 'served'));
    process.env.VTC_HF_BASE = server.base;
    const dataDir = path.join(root, 'data');
    service = await createAppService({ dataDir, launcher: forkLauncher(engineWorker), catalog: engineCatalog(dataDir, { manifestsDir }) });
    service.onEvent((e) => {
      if (e.type === 'download') downloads.push(e);
    });
  });
  afterAll(async () => {
    await service.close();
    await server.close();
    if (previousBase === undefined) delete process.env.VTC_HF_BASE;
    else process.env.VTC_HF_BASE = previousBase;
    await fsp.rm(root, { recursive: true, force: true });
  });

  it('pauses a download, resumes it where it stopped, and lists the model as installed', async () => {
    expect((await service.api.listModels()).find((m) => m.id === FIXTURE_MODEL_ID)).toMatchObject({ installed: false, embedded: false });
    server.stallAfter.set('onnx/decoder_model_merged_q4.onnx', 10_000);
    await service.api.pullModel({ modelId: FIXTURE_MODEL_ID });
    await waitFor((e) => e.file === 'onnx/decoder_model_merged_q4.onnx' && e.state === 'downloading' && e.receivedBytes >= 10_000);
    await service.api.pausePull({ modelId: FIXTURE_MODEL_ID });
    const paused = await waitFor((e) => e.state === 'paused');
    expect(paused).toMatchObject({ modelId: FIXTURE_MODEL_ID, file: 'onnx/decoder_model_merged_q4.onnx', receivedBytes: 10_000 });

    downloads.length = 0;
    await service.api.pullModel({ modelId: FIXTURE_MODEL_ID });
    await waitFor((e) => e.file === 'onnx/decoder_model_merged_q4.onnx' && e.state === 'done');
    expect(server.requests.at(-1)).toMatchObject({ file: 'onnx/decoder_model_merged_q4.onnx', range: 'bytes=10000-' });
    const errors = downloads.filter((e: DownloadProgress) => e.state === 'error');
    expect(errors).toEqual([]);
    expect((await service.api.listModels()).find((m) => m.id === FIXTURE_MODEL_ID)).toMatchObject({ installed: true });
  });

  it('refuses to download an embedded or unknown model', async () => {
    await expect(service.api.pullModel({ modelId: 'tiny-smolvlm' })).rejects.toThrow(
      'tiny-smolvlm is built in; there is nothing to download',
    );
    await expect(service.api.pullModel({ modelId: 'no-such-model' })).rejects.toThrow("Unknown model 'no-such-model'");
  });

  it('imports a model folder by absolute path and refuses a folder that is not a model', async () => {
    const fixture = path.resolve(import.meta.dirname, '..', '..', 'models', 'fixtures', 'tiny-smolvlm');
    const copy = path.join(root, 'My Model');
    await fsp.cp(fixture, copy, { recursive: true });
    const imported = await service.api.importModelFolder({ dir: copy });
    expect(imported).toMatchObject({ id: 'my-model', installed: true, dir: copy });
    expect((await service.api.listModels()).map((m) => m.id)).toContain('my-model');
    await expect(service.api.importModelFolder({ dir: root })).rejects.toMatchObject({ code: 'MODEL_INCOMPLETE' });
    await expect(service.api.importModelFolder({ dir: 'relative/folder' })).rejects.toThrow(
      "relative/folder: give the model folder's absolute path",
    );
  });
});
