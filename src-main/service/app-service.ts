// The application service: takes the data folder, opens the library store and starts the engine process, and
// composes AppApi from one service per domain over them (models, library, chats, batch: *-service.ts). It
// publishes their ServerEvents. Both transports (Electron IPC, browser host) call `invoke`, which checks every
// argument before any method runs.
import os from 'node:os';
import path from 'node:path';
import type { AppApi, EngineStatusEvent, ServerEvent } from '../../src-shared/api';
import { EngineError } from '../engine/errors';
import { checkApiArgument, isApiMethod } from './api-schemas';
import { createBatchService } from './batch-service';
import { createChatsService } from './chats-service';
import { lockDataFolder } from './data-folder-lock';
import { DemoAlbum } from './demo-album';
import { EngineClient } from './engine-process/engine-client';
import type { EngineLauncher } from './engine-process/engine-launcher';
import type { Rendition } from './images';
import type { JournalFileSystem } from './journal';
import { Library } from './library';
import { createLibraryService, type MediaKind } from './library-service';
import { LibraryStore } from './library-store';
import { engineCatalog, type ModelCatalog } from './engine-catalog';
import { createModelsService } from './models-service';
import { toWireError } from './wire-error';

export type { MediaKind };

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
  let engineStatus: EngineStatusEvent | undefined;
  const engine = new EngineClient(options.launcher, {
    onStatus: (status) => {
      engineStatus = status;
      emit(status);
    },
    restartDelayMs: options.restartDelayMs,
  });

  // One service per domain over the same store, library, catalogue and engine; the API is their union.
  const cacheDir = path.join(dataDir, 'cache', 'vision-features');
  const demo = new DemoAlbum(library, dataDir);
  const models = createModelsService({ store, catalog, engine, emit, cpus: os.availableParallelism() });
  const photos = createLibraryService({ store, library, demo, emit });
  const chats = createChatsService({ store, library, engine, models, emit, cacheDir, demo });
  const batches = createBatchService({ store, library, engine, models, emit, cacheDir, demo });
  const domains = [models, photos, chats, batches];
  const api: AppApi = { ...models.api, ...photos.api, ...chats.api, ...batches.api };

  if (options.demoAlbum && !store.hasFlag(DEMO_ALBUM_FLAG)) {
    // The demo album is a courtesy: an app that cannot write it (say, a full disk) still starts.
    try {
      await demo.restore();
      await store.setFlag(DEMO_ALBUM_FLAG);
    } catch (e) {
      console.warn(`Could not create the demo album: ${toWireError(e).message}`);
    }
  }
  // Start the engine now so that the first question does not also pay for the process start.
  engine.start().catch(() => undefined);

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
    media: (kind, photoId) => photos.media(kind, photoId),
    engineStatus: () => engineStatus,
    enginePid: () => engine.pid,
    async close() {
      for (const domain of domains) domain.stop();
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
