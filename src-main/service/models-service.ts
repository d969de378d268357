// The models domain of the app API: what this machine offers, the model list, downloads with pause, importing
// a model folder, and the settings every question runs with (model, provider, threads).
import path from 'node:path';
import type { AppApi, DownloadProgress, EngineSettings, ModelInfo, PruningMethod, ServerEvent } from '../../src-shared/api';
import { EngineError, isEngineError } from '../engine/errors';
import type { EngineClient } from './engine-process/engine-client';
import type { CompareJob } from './engine-process/engine-protocol';
import type { LibraryStore } from './library-store';
import { defaultModelId, type ModelCatalog } from './engine-catalog';
import { toWireError } from './wire-error';

export type ModelsApi = Pick<
  AppApi,
  'machineInfo' | 'listModels' | 'pullModel' | 'pausePull' | 'importModelFolder' | 'getSettings' | 'setSettings'
>;

/** The part of a compare job the settings decide: which model folder, on which provider, with how many threads. */
export type EngineSetup = Pick<CompareJob, 'modelDir' | 'ep' | 'threads'>;

export interface ModelsServiceDeps {
  /** Where the settings are kept. */
  store: LibraryStore;
  catalog: ModelCatalog;
  /** The engine process's client (a fake in unit tests): it lists and tries the execution providers. */
  engine: Pick<EngineClient, 'call'>;
  emit: (event: Extract<ServerEvent, { type: 'download' }>) => void;
  /** Processor threads of this machine: the default and the upper bound of `threads`. */
  cpus: number;
}

export interface ModelsService {
  readonly api: ModelsApi;
  /** The model, provider and threads a question runs with; refuses a method the model's vision encoder lacks. */
  engineSetup(method: PruningMethod): Promise<EngineSetup>;
  /** Pauses every download in progress (the app is closing); each keeps its partial file. */
  stop(): void;
}

export function createModelsService({ store, catalog, engine, emit, cpus }: ModelsServiceDeps): ModelsService {
  const pulls = new Map<string, AbortController>();

  async function currentSettings(): Promise<EngineSettings> {
    const saved = store.settings();
    if (saved) return saved;
    const modelId = defaultModelId(await catalog.listModels());
    if (!modelId) throw new EngineError('MODEL_INCOMPLETE', 'No model is installed. Download one under Models, or import a model folder.');
    return { modelId, ep: 'cpu', threads: Math.min(4, cpus) };
  }

  async function installedModel(modelId: string): Promise<ModelInfo & { dir: string }> {
    const model = (await catalog.listModels()).find((m) => m.id === modelId);
    if (!model) throw new EngineError('BAD_ARGUMENT', `Unknown model '${modelId}'. Pick one from the model list.`);
    if (!model.installed || !model.dir)
      throw new EngineError('MODEL_INCOMPLETE', `${model.name} is not downloaded yet. Download it under Models first.`);
    return { ...model, dir: model.dir };
  }

  const api: ModelsApi = {
    async machineInfo() {
      return { providers: await engine.call('providers', {}), cpus };
    },
    listModels: () => catalog.listModels(),
    async pullModel({ modelId }) {
      const model = (await catalog.listModels()).find((m) => m.id === modelId);
      if (!model) throw new EngineError('BAD_ARGUMENT', `Unknown model '${modelId}'`);
      if (model.embedded) throw new EngineError('BAD_ARGUMENT', `${model.name} is built in; there is nothing to download`);
      if (pulls.has(modelId)) return;
      const controller = new AbortController();
      pulls.set(modelId, controller);
      let last: DownloadProgress | undefined;
      const onProgress = (p: DownloadProgress) => {
        last = p;
        emit({ type: 'download', ...p });
      };
      catalog
        .pullModel(modelId, { signal: controller.signal, onProgress })
        .catch((e) => {
          // The downloader reports failures of a file itself; one before any file (say, no room) is reported here.
          if (last?.state === 'paused' || last?.state === 'error') return;
          const paused = controller.signal.aborted;
          const file = last?.file ?? '';
          emit({
            type: 'download',
            modelId,
            file,
            receivedBytes: last?.receivedBytes ?? 0,
            totalBytes: last?.totalBytes ?? 0,
            state: paused ? 'paused' : 'error',
            ...(paused ? {} : { error: toWireError(e).message }),
          });
        })
        .finally(() => pulls.delete(modelId));
    },
    async pausePull({ modelId }) {
      pulls.get(modelId)?.abort();
    },
    async importModelFolder({ dir }) {
      if (!path.isAbsolute(dir)) throw new EngineError('BAD_ARGUMENT', `${dir}: give the model folder's absolute path`);
      return catalog.importModelFolder(dir);
    },
    getSettings: () => currentSettings(),
    async setSettings(settings) {
      await installedModel(settings.modelId);
      const providers = await engine.call('providers', {});
      if (!providers.includes(settings.ep)) {
        throw new EngineError(
          'PROVIDER_UNAVAILABLE',
          `The ${settings.ep} execution provider is not available on this machine (available: ${providers.join(', ')})`,
        );
      }
      // Listed is not startable (webgpu without a GPU adapter, cuda without its libraries); saved unchecked, every
      // question would fail. The engine process tries it on a one-node graph; its reason is the person's answer.
      await engine.call('probeProvider', { ep: settings.ep }).catch((e: unknown) => {
        if (isEngineError(e) && e.code === 'ENGINE_CRASHED') {
          throw new EngineError(
            'PROVIDER_UNAVAILABLE',
            `The ${settings.ep} execution provider brought the engine down when it was tried; the settings were not changed`,
          );
        }
        throw e;
      });
      if (settings.threads > cpus)
        throw new EngineError('BAD_ARGUMENT', `threads must be at most ${cpus} (the CPU cores of this machine), got ${settings.threads}`);
      const clean: EngineSettings = { modelId: settings.modelId, ep: settings.ep, threads: settings.threads };
      await store.setSettings(clean);
      return clean;
    },
  };

  return {
    api,
    async engineSetup(method) {
      const settings = await currentSettings();
      const model = await installedModel(settings.modelId);
      if (!model.methods.includes(method)) {
        throw new EngineError(
          'BAD_ARGUMENT',
          `${model.name} cannot use ${method} (its vision encoder allows: ${model.methods.join(', ')})`,
        );
      }
      return { modelDir: model.dir, ep: settings.ep, threads: settings.threads };
    },
    stop() {
      for (const c of pulls.values()) c.abort();
    },
  };
}
