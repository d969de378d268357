import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DownloadProgress, EngineSettings, ServerEvent } from '../../src-shared/api';
import { EngineError } from '../engine/errors';
import { LibraryStore } from './library-store';
import { createModelsService, type ModelsService } from './models-service';
import { FakeCatalog, FakeEngine, modelInfo } from './test/fakes';

type DownloadEvent = Extract<ServerEvent, { type: 'download' }>;

let dataDir: string;
let store: LibraryStore;
let engine: FakeEngine;
let catalog: FakeCatalog;
let events: DownloadEvent[];
let models: ModelsService;

beforeEach(async () => {
  dataDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'vtc-models-service-'));
  store = await LibraryStore.open(dataDir);
  engine = new FakeEngine();
  catalog = new FakeCatalog([
    modelInfo('tiny-smolvlm', { embedded: true }),
    modelInfo('tiny-llava', { embedded: true, methods: ['vtc-cls', 'vtc-cls-ensemble', 'received', 'random', 'uniform'] }),
    modelInfo('smolvlm-256m-instruct', { name: 'SmolVLM 256M', installed: false, dir: undefined }),
  ]);
  events = [];
  models = createModelsService({ store, catalog, engine, emit: (e) => events.push(e), cpus: 2 });
});

afterEach(async () => {
  models.stop();
  await store.close();
  await fsp.rm(dataDir, { recursive: true, force: true });
});

describe('settings', () => {
  it('default to the best embedded model on the CPU, and say what to do when no model is installed', async () => {
    expect(await models.api.getSettings()).toEqual({ modelId: 'tiny-llava', ep: 'cpu', threads: 2 });
    catalog.models = catalog.models.filter((m) => !m.installed);
    await expect(models.api.getSettings()).rejects.toMatchObject({
      code: 'MODEL_INCOMPLETE',
      message: 'No model is installed. Download one under Models, or import a model folder.',
    });
  });

  it('are saved for an installed model on a provider that starts, with the threads this machine has', async () => {
    const saved = await models.api.setSettings({ modelId: 'tiny-smolvlm', ep: 'cpu', threads: 2, stale: true } as EngineSettings);
    expect(saved).toEqual({ modelId: 'tiny-smolvlm', ep: 'cpu', threads: 2 });
    expect(store.settings()).toEqual(saved);
    expect(await models.api.getSettings()).toEqual(saved);
    expect(engine.calls.map((c) => c.method)).toEqual(['providers', 'probeProvider']);
  });

  it('are refused, and the saved ones kept, for a model not there, a provider not listed, one that cannot start, or too many threads', async () => {
    const refused = (settings: EngineSettings) => models.api.setSettings(settings);
    await expect(refused({ modelId: 'no-such-model', ep: 'cpu', threads: 1 })).rejects.toMatchObject({
      code: 'BAD_ARGUMENT',
      message: "Unknown model 'no-such-model'. Pick one from the model list.",
    });
    await expect(refused({ modelId: 'smolvlm-256m-instruct', ep: 'cpu', threads: 1 })).rejects.toMatchObject({
      code: 'MODEL_INCOMPLETE',
      message: 'SmolVLM 256M is not downloaded yet. Download it under Models first.',
    });

    engine.providers = ['cpu', 'webgpu'];
    await expect(refused({ modelId: 'tiny-smolvlm', ep: 'cuda', threads: 1 })).rejects.toMatchObject({
      code: 'PROVIDER_UNAVAILABLE',
      message: 'The cuda execution provider is not available on this machine (available: cpu, webgpu)',
    });
    // Listed but not startable: the engine's own reason is the answer.
    const noAdapter = new EngineError(
      'PROVIDER_UNAVAILABLE',
      'the webgpu execution provider cannot start on this machine: no GPU adapter found',
    );
    engine.probeFailures.set('webgpu', noAdapter);
    await expect(refused({ modelId: 'tiny-smolvlm', ep: 'webgpu', threads: 1 })).rejects.toBe(noAdapter);
    // A probe that brings the engine process down says so; the process itself restarts on its own.
    engine.probeFailures.set(
      'webgpu',
      new EngineError('ENGINE_CRASHED', 'The engine process killed by SIGSEGV while working; it is being restarted. Ask again.'),
    );
    await expect(refused({ modelId: 'tiny-smolvlm', ep: 'webgpu', threads: 1 })).rejects.toMatchObject({
      code: 'PROVIDER_UNAVAILABLE',
      message: 'The webgpu execution provider brought the engine down when it was tried; the settings were not changed',
    });
    await expect(refused({ modelId: 'tiny-smolvlm', ep: 'cpu', threads: 3 })).rejects.toMatchObject({
      code: 'BAD_ARGUMENT',
      message: 'threads must be at most 2 (the CPU cores of this machine), got 3',
    });
    expect(store.settings()).toBeUndefined();
  });

  it('give a question its model folder, provider and threads, and refuse a method the vision encoder lacks', async () => {
    await models.api.setSettings({ modelId: 'tiny-smolvlm', ep: 'cpu', threads: 1 });
    expect(await models.engineSetup('received')).toEqual({ modelDir: '/models/tiny-smolvlm', ep: 'cpu', threads: 1 });
    await expect(models.engineSetup('vtc-cls')).rejects.toMatchObject({
      code: 'BAD_ARGUMENT',
      message: 'tiny-smolvlm cannot use vtc-cls (its vision encoder allows: received, random, uniform)',
    });
  });
});

describe('downloads', () => {
  /** A download that reports `bytes` of one file, then waits for its pause and fails as the downloader does. */
  const pausable = (bytes: number) => {
    catalog.pull = (modelId, { onProgress, signal }) =>
      new Promise((_, reject) => {
        onProgress({ modelId, file: 'onnx/decoder.onnx', receivedBytes: bytes, totalBytes: 3 * bytes, state: 'downloading' });
        signal.addEventListener('abort', () => reject(new EngineError('CANCELLED', 'download paused')), { once: true });
      });
  };
  const settled = () => new Promise((r) => setTimeout(r, 0));

  it('streams progress as download events, and a pause says where it stopped', async () => {
    pausable(500);
    await models.api.pullModel({ modelId: 'smolvlm-256m-instruct' });
    // A second pull of the same model while it downloads is the same download, not another.
    await models.api.pullModel({ modelId: 'smolvlm-256m-instruct' });
    expect(catalog.pulls).toBe(1);
    await models.api.pausePull({ modelId: 'smolvlm-256m-instruct' });
    await settled();
    expect(events).toEqual([
      {
        type: 'download',
        modelId: 'smolvlm-256m-instruct',
        file: 'onnx/decoder.onnx',
        receivedBytes: 500,
        totalBytes: 1500,
        state: 'downloading',
      },
      {
        type: 'download',
        modelId: 'smolvlm-256m-instruct',
        file: 'onnx/decoder.onnx',
        receivedBytes: 500,
        totalBytes: 1500,
        state: 'paused',
      },
    ]);
    // Paused, it can be pulled again.
    await models.api.pullModel({ modelId: 'smolvlm-256m-instruct' });
    expect(catalog.pulls).toBe(2);
  });

  it('reports a failure before any file with its reason, and leaves one the downloader reported alone', async () => {
    catalog.pull = async () => {
      throw new EngineError('DISK_FULL', 'smolvlm-256m-instruct (q4) needs 120.0 MB more in /data/models, but only 3.0 MB is free');
    };
    await models.api.pullModel({ modelId: 'smolvlm-256m-instruct' });
    await settled();
    expect(events).toEqual([
      {
        type: 'download',
        modelId: 'smolvlm-256m-instruct',
        file: '',
        receivedBytes: 0,
        totalBytes: 0,
        state: 'error',
        error: 'smolvlm-256m-instruct (q4) needs 120.0 MB more in /data/models, but only 3.0 MB is free',
      },
    ]);

    events.length = 0;
    const reported: DownloadProgress = {
      modelId: 'smolvlm-256m-instruct',
      file: 'onnx/decoder.onnx',
      receivedBytes: 9,
      totalBytes: 10,
      state: 'error',
      error: 'connection lost',
    };
    catalog.pull = async (_, { onProgress }) => {
      onProgress(reported);
      throw new EngineError('DOWNLOAD_FAILED', 'connection lost');
    };
    await models.api.pullModel({ modelId: 'smolvlm-256m-instruct' });
    await settled();
    expect(events).toEqual([{ type: 'download', ...reported }]);
  });

  it('refuses an embedded or unknown model, and stop() pauses what is running', async () => {
    await expect(models.api.pullModel({ modelId: 'tiny-smolvlm' })).rejects.toThrow(
      'tiny-smolvlm is built in; there is nothing to download',
    );
    await expect(models.api.pullModel({ modelId: 'nope' })).rejects.toThrow("Unknown model 'nope'");
    pausable(100);
    await models.api.pullModel({ modelId: 'smolvlm-256m-instruct' });
    models.stop();
    await settled();
    expect(events.map((e) => e.state)).toEqual(['downloading', 'paused']);
  });

  it('imports a model folder by absolute path only', async () => {
    await expect(models.api.importModelFolder({ dir: 'relative/folder' })).rejects.toThrow(
      "relative/folder: give the model folder's absolute path",
    );
    expect(await models.api.importModelFolder({ dir: '/home/me/My Model' })).toMatchObject({ dir: '/home/me/My Model' });
    expect(catalog.imported).toEqual(['/home/me/My Model']);
  });
});
