// The application service: implements AppApi over the library store, the model catalogue and the engine
// process, and publishes ServerEvents. Both transports (Electron IPC, browser host) call `invoke`, which
// checks every argument before any method runs.
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type {
  AppApi,
  AskRequest,
  BatchRequest,
  BatchRow,
  ChatEntry,
  DownloadProgress,
  EngineSettings,
  EngineStatusEvent,
  ImportRequest,
  ModelInfo,
  Photo,
  ServerEvent,
} from '../../src-shared/api';
import { EngineError, isEngineError } from '../engine/errors';
import { checkApiArgument, isApiMethod } from './api-schemas';
import { answersAgree, historyTurns, savedMs } from './chat-turns';
import { EngineClient } from './engine-process/engine-client';
import type { EngineLauncher } from './engine-process/engine-launcher';
import type { CompareJob } from './engine-process/engine-protocol';
import { displayRendition, type Rendition } from './images';
import type { JournalFileSystem } from './journal';
import { Library } from './library';
import { LibraryStore } from './library-store';
import { defaultModelId, engineCatalog, type ModelCatalog } from './model-catalog';
import { seedDemoAlbum } from './demo-album';
import { lockDataFolder } from './data-folder-lock';

export type MediaKind = 'thumb' | 'photo';

export interface AppServiceOptions {
  dataDir: string;
  launcher: EngineLauncher;
  /** Default: the engine's catalogue and downloader in `dataDir`. */
  catalog?: ModelCatalog;
  /** Put the demo album into an empty library on first run (the app does; most tests do not). */
  demoAlbum?: boolean;
  journalFs?: JournalFileSystem;
  /** How often a library made read-only by a full disk tries to write again (tests shorten it). */
  readOnlyRetryMs?: number;
  /** Engine restart backoff (tests shorten it). */
  restartDelayMs?: number;
  /** Who holds the data folder, as a second process would name it to a person ("vtc serve"). */
  owner?: string;
}

export interface AppService {
  readonly api: AppApi;
  /**
   * Checks the method name and its argument, then calls it: the one entry point of every transport. `signal`
   * aborts when the caller has gone (the page closed its request): a long call it started, an import, stops.
   */
  invoke(method: unknown, arg: unknown, caller?: { signal?: AbortSignal }): Promise<unknown>;
  onEvent(listener: (event: ServerEvent) => void): () => void;
  /** The engine's latest status, for a client that connects after it was sent. */
  engineStatus(): EngineStatusEvent | undefined;
  /** Bytes of an imported photo for display, by id only: no path from outside ever reaches the disk. */
  media(kind: MediaKind, photoId: string): Promise<Rendition>;
  /** The engine process's id (diagnostics and tests). */
  enginePid(): number | undefined;
  close(): Promise<void>;
}

const DEMO_ALBUM_FLAG = 'demo-album';

export async function createAppService(options: AppServiceOptions): Promise<AppService> {
  const { dataDir } = options;
  const catalog = options.catalog ?? engineCatalog(dataDir);
  // Before anything reads or writes the folder: a second process on it would compact the journal under
  // this one's feet (see data-folder-lock.ts).
  const lock = await lockDataFolder(dataDir, options.owner ?? defaultOwner());
  let store: LibraryStore;
  try {
    store = await LibraryStore.open(dataDir, { fs: options.journalFs, retryMs: options.readOnlyRetryMs });
  } catch (e) {
    await lock.release();
    throw e;
  }
  const library = new Library(store, dataDir);
  const listeners = new Set<(event: ServerEvent) => void>();
  const emit = (event: ServerEvent) => listeners.forEach((l) => l(event));
  store.onReadOnlyChange((readOnly) => emit({ type: 'library-read-only', readOnly }));
  let engineStatus: EngineStatusEvent | undefined;
  const engine = new EngineClient(options.launcher, {
    onStatus: (status) => {
      engineStatus = status;
      emit(status);
    },
    restartDelayMs: options.restartDelayMs,
  });
  const cacheDir = path.join(dataDir, 'cache', 'vision-features');
  const asks = new Map<string, AbortController>();
  const batches = new Map<string, AbortController>();
  const imports = new Map<string, AbortController>();
  const pulls = new Map<string, AbortController>();
  const cpus = os.availableParallelism();

  if (options.demoAlbum && !store.hasFlag(DEMO_ALBUM_FLAG)) {
    // The demo album is a courtesy: an app that cannot write it (say, a full disk) still starts.
    try {
      await seedDemoAlbum(library, dataDir);
      await store.setFlag(DEMO_ALBUM_FLAG);
    } catch (e) {
      console.warn(`Could not create the demo album: ${messageOf(e)}`);
    }
  }
  // Start the engine now so that the first question does not also pay for the process start.
  engine.start().catch(() => undefined);

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
    if (!model.installed || !model.dir) throw new EngineError('MODEL_INCOMPLETE', `${model.name} is not downloaded yet. Download it under Models first.`);
    return { ...model, dir: model.dir };
  }

  async function compareJob(photo: Photo, question: string, req: Pick<AskRequest, 'method' | 'budget' | 'maxNewTokens'>, withHistory: boolean): Promise<CompareJob> {
    const settings = await currentSettings();
    const model = await installedModel(settings.modelId);
    if (!model.methods.includes(req.method)) {
      throw new EngineError('BAD_ARGUMENT', `${model.name} cannot use ${req.method} (its vision encoder allows: ${model.methods.join(', ')})`);
    }
    return {
      modelDir: model.dir,
      ep: settings.ep,
      threads: settings.threads,
      cacheDir,
      image: photo.path,
      prompt: question,
      history: withHistory ? historyTurns(store.chats(photo.id)) : [],
      maxNewTokens: req.maxNewTokens,
      method: req.method,
      budget: req.budget,
    };
  }

  async function runAsk(entry: ChatEntry, job: CompareJob, controller: AbortController): Promise<void> {
    try {
      const result = await engine.call('compare', job, {
        signal: controller.signal,
        onEvent: (e) => emit({ type: 'token', askId: entry.id, side: e.side, text: e.text }),
      });
      const done: ChatEntry = { ...entry, result };
      await store.putChat(done);
      emit({ type: 'done', askId: entry.id, entry: done });
    } catch (e) {
      const message = messageOf(e);
      // The question stays in the chat with its error, so nothing the person typed is lost.
      await store.putChat({ ...entry, error: message }).catch(() => undefined);
      emit({ type: 'error', askId: entry.id, message });
    } finally {
      asks.delete(entry.id);
    }
  }

  async function runBatch(batchId: string, photos: Photo[], req: BatchRequest, controller: AbortController): Promise<void> {
    let done = 0;
    for (const photo of photos) {
      if (controller.signal.aborted) break;
      const row: BatchRow = { photoId: photo.id };
      try {
        const job = await compareJob(photo, req.question, req, false);
        const result = await engine.call('compare', job, { signal: controller.signal });
        Object.assign(row, { full: result.full.text, pruned: result.pruned.text, agree: answersAgree(result.full.text, result.pruned.text), savedMs: savedMs(result) });
        // Batch answers join the photo's chat, so search by past answers finds them too.
        await store.putChat({ id: randomUUID(), photoId: photo.id, question: req.question, askedAt: Date.now(), method: req.method, budget: req.budget, result });
      } catch (e) {
        if (controller.signal.aborted) break;
        row.error = messageOf(e);
      }
      done++;
      emit({ type: 'progress', batchId, done, total: photos.length, row });
    }
    batches.delete(batchId);
    emit({ type: 'finished', batchId, cancelled: controller.signal.aborted });
  }

  const api: AppApi = {
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
          emit({ type: 'download', modelId, file, receivedBytes: last?.receivedBytes ?? 0, totalBytes: last?.totalBytes ?? 0, state: paused ? 'paused' : 'error', ...(paused ? {} : { error: messageOf(e) }) });
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
        throw new EngineError('PROVIDER_UNAVAILABLE', `The ${settings.ep} execution provider is not available on this machine (available: ${providers.join(', ')})`);
      }
      // Listed is not startable (webgpu without a GPU adapter, cuda without its libraries); saved unchecked, every
      // question would fail. The engine process tries it on a one-node graph; its reason is the person's answer.
      await engine.call('probeProvider', { ep: settings.ep }).catch((e: unknown) => {
        if (isEngineError(e) && e.code === 'ENGINE_CRASHED') {
          throw new EngineError('PROVIDER_UNAVAILABLE', `The ${settings.ep} execution provider brought the engine down when it was tried; the settings were not changed`);
        }
        throw e;
      });
      if (settings.threads > cpus) throw new EngineError('BAD_ARGUMENT', `threads must be at most ${cpus} (the CPU cores of this machine), got ${settings.threads}`);
      const clean: EngineSettings = { modelId: settings.modelId, ep: settings.ep, threads: settings.threads };
      await store.setSettings(clean);
      return clean;
    },

    libraryHealth: async () => ({ readOnly: store.readOnly, notices: store.notices() }),
    listPhotos: async ({ query }) => library.list(query),
    async importPaths({ paths, importId = randomUUID() }: ImportRequest, callerGone?: AbortSignal) {
      if (imports.has(importId)) throw new EngineError('BAD_ARGUMENT', `An import named '${importId}' is already running`);
      const controller = new AbortController();
      imports.set(importId, controller);
      const signal = callerGone ? AbortSignal.any([controller.signal, callerGone]) : controller.signal;
      try {
        return await library.importPaths(paths, { signal, onProgress: (p) => emit({ type: 'import-progress', importId, ...p }) });
      } finally {
        imports.delete(importId);
      }
    },
    async cancelImport({ importId }) {
      imports.get(importId)?.abort();
    },
    importUpload: ({ name, base64 }) => library.importUpload(name, base64),
    removePhoto: ({ photoId }) => library.remove(photoId),
    chat: async ({ photoId }) => store.chats(library.require(photoId).id),

    async ask(req) {
      const photo = library.require(req.photoId);
      const job = await compareJob(photo, req.question, req, true);
      const entry: ChatEntry = { id: randomUUID(), photoId: photo.id, question: req.question, askedAt: Date.now(), method: req.method, budget: req.budget };
      await store.putChat(entry);
      const controller = new AbortController();
      asks.set(entry.id, controller);
      void runAsk(entry, job, controller);
      return { askId: entry.id };
    },
    async cancelAsk({ askId }) {
      asks.get(askId)?.abort();
    },
    async batch(req) {
      const photos = req.photoIds.map((id) => library.require(id));
      await compareJob(photos[0], req.question, req, false); // refuse a missing model now, not once per row
      const batchId = randomUUID();
      const controller = new AbortController();
      batches.set(batchId, controller);
      void runBatch(batchId, photos, req, controller);
      return { batchId };
    },
    async cancelBatch({ batchId }) {
      batches.get(batchId)?.abort();
    },
  };

  return {
    api,
    async invoke(method, arg, caller) {
      if (!isApiMethod(method)) throw new EngineError('BAD_ARGUMENT', `Unknown method '${String(method)}'`);
      const checked = checkApiArgument(method, arg);
      return (api[method] as (a: unknown, callerGone?: AbortSignal) => Promise<unknown>)(checked ?? {}, caller?.signal);
    },
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async media(kind, photoId) {
      if (kind === 'thumb') return { contentType: 'image/jpeg', data: await readFile(await library.thumbnail(photoId)) };
      return displayRendition(library.require(photoId).path);
    },
    engineStatus: () => engineStatus,
    enginePid: () => engine.pid,
    async close() {
      for (const c of [...asks.values(), ...batches.values(), ...imports.values(), ...pulls.values()]) c.abort();
      engine.dispose();
      try {
        await store.close();
      } finally {
        await lock.release();
      }
    },
  };
}

/** The script this process runs ("serve.ts"), for callers that do not say who they are. */
function defaultOwner(): string {
  return path.basename(process.argv[1] ?? process.execPath);
}

function messageOf(e: unknown): string {
  if (isEngineError(e)) return e.message;
  return e instanceof Error ? e.message.split('\n')[0] : String(e);
}

