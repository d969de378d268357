// In-memory stand-ins for the domain services' unit tests: an engine client without a process and a model
// catalogue without a disk. Each answers the way a test tells it to and records what it was asked.
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CompareResult, DownloadProgress, ExecutionProvider, ModelInfo, Photo } from '../../../src-shared/api';
import { EngineError } from '../../engine/errors';
import type { CallOptions, EngineClient } from '../engine-process/engine-client';
import type { CompareJob, CompareEvent, EngineMethods } from '../engine-process/engine-protocol';
import type { AnsweringDeps } from '../answering-deps';
import type { ModelCatalog } from '../engine-catalog';
import { DemoAlbum } from '../demo-album';
import { Library } from '../library';
import { LibraryStore } from '../library-store';
import { createModelsService } from '../models-service';

export type FakeCompare = (job: CompareJob, options: CallOptions<CompareEvent>) => Promise<CompareResult>;

/** EngineClient's `call`, answered in memory. Like the real client, an aborted call rejects with CANCELLED. */
export class FakeEngine implements Pick<EngineClient, 'call'> {
  readonly calls: Array<{ method: keyof EngineMethods; args: unknown }> = [];
  providers: ExecutionProvider[] = ['cpu'];
  /** Providers whose one-node probe fails, with the error the engine process answers. */
  readonly probeFailures = new Map<ExecutionProvider, Error>();
  /** How `compare` answers: by default it streams its stages and one token per side (pruned first), and answers at once. */
  compare: FakeCompare = async (job, { onEvent }) => {
    onEvent?.({ progress: { stage: 'reading' } });
    onEvent?.({ progress: { stage: 'ranking' } });
    onEvent?.({ side: 'pruned', text: `pruned answer to ${job.prompt}` });
    onEvent?.({ side: 'full', text: `full answer to ${job.prompt}` });
    return compareResult(`full answer to ${job.prompt}`, `pruned answer to ${job.prompt}`);
  };

  call<M extends keyof EngineMethods & string>(
    method: M,
    args: EngineMethods[M]['args'],
    options: CallOptions<EngineMethods[M]['event']> = {},
  ): Promise<EngineMethods[M]['result']> {
    this.calls.push({ method, args });
    if (options.signal?.aborted) return Promise.reject(new EngineError('CANCELLED', 'Cancelled'));
    return this.answer(method, args, options) as Promise<EngineMethods[M]['result']>;
  }

  /** The compare jobs the engine was given, in order. */
  get compareJobs(): CompareJob[] {
    return this.calls.filter((c) => c.method === 'compare').map((c) => c.args as CompareJob);
  }

  private async answer(method: keyof EngineMethods, args: unknown, options: CallOptions<never>): Promise<unknown> {
    switch (method) {
      case 'providers':
        return [...this.providers];
      case 'probeProvider': {
        const failure = this.probeFailures.get((args as { ep: ExecutionProvider }).ep);
        if (failure) throw failure;
        return null;
      }
      case 'compare':
        return this.compare(args as CompareJob, options as CallOptions<CompareEvent>);
    }
  }
}

/** A compare that runs until its call is cancelled, then fails as the engine does; `started` resolves once it runs. */
export function compareUntilCancelled(): { compare: FakeCompare; started: Promise<void> } {
  let markStarted!: () => void;
  const started = new Promise<void>((resolve) => (markStarted = resolve));
  const compare: FakeCompare = ({ prompt }, { signal, onEvent }) =>
    new Promise((_, reject) => {
      onEvent?.({ side: 'pruned', text: `the start of an answer to ${prompt}` });
      signal?.addEventListener('abort', () => reject(new EngineError('CANCELLED', 'Cancelled')), { once: true });
      markStarted();
    });
  return { compare, started };
}

/** An answer shaped as the engine gives it; the pruned run is 40 ms faster. */
export function compareResult(full: string, pruned: string): CompareResult {
  const timings = (totalMs: number) => ({
    preprocessMs: 1,
    visionMs: 2,
    embedMs: 1,
    prefillMs: 3,
    decodeMs: totalMs - 7,
    decodeTokens: 4,
    tokensPerSecond: 40,
    totalMs,
  });
  const counts = (visualTokens: number) => ({ visualTokens, promptTokens: visualTokens + 12, generatedTokens: 4, kvCacheBytes: 1024 });
  return {
    full: { text: full, tokens: [1, 2, 3, 4], timings: timings(100), counts: counts(64), visionCached: false },
    pruned: {
      text: pruned,
      tokens: [1, 2, 3, 4],
      timings: timings(60),
      counts: counts(16),
      visionCached: true,
      method: 'uniform',
      kept: [0, 4, 8, 12],
    },
    scores: Array.from({ length: 64 }, (_, i) => i / 64),
    grid: { tiles: [{ x: 0, y: 0, width: 1, height: 1, rows: 8, cols: 8, global: true }] },
  };
}

/** A model as the catalogue lists it: installed (with a folder) unless told otherwise. */
export function modelInfo(id: string, extra: Partial<ModelInfo> = {}): ModelInfo {
  return {
    id,
    name: id,
    dir: `/models/${id}`,
    installed: true,
    bytes: 1000,
    family: 'idefics3',
    embedded: false,
    methods: ['received', 'random', 'uniform'],
    ...extra,
  };
}

export type FakePull = (modelId: string, options: { onProgress: (p: DownloadProgress) => void; signal: AbortSignal }) => Promise<unknown>;

/** A catalogue over a fixed model list; `pull` stands in for the downloader and `pulls` counts its calls. */
export class FakeCatalog implements ModelCatalog {
  pulls = 0;
  pull: FakePull = async () => undefined;
  readonly imported: string[] = [];

  constructor(public models: ModelInfo[]) {}

  async listModels(): Promise<ModelInfo[]> {
    return this.models.map((m) => ({ ...m }));
  }

  pullModel(modelId: string, options: Parameters<FakePull>[1]): Promise<unknown> {
    this.pulls++;
    return this.pull(modelId, options);
  }

  async importModelFolder(dir: string): Promise<ModelInfo> {
    this.imported.push(dir);
    return modelInfo('imported', { dir });
  }
}

/**
 * What the chats and batch service tests stand on: a data folder whose library holds `photos`, the fake engine
 * and catalogue, the models service over them, and the events the service under test sends, with a way to wait
 * for the one a test expects.
 */
export class AnsweringBench<Event> {
  readonly events: Event[] = [];
  readonly engine = new FakeEngine();
  readonly catalog = new FakeCatalog([modelInfo('tiny-smolvlm', { embedded: true })]);
  private waiters: Array<() => void> = [];

  private constructor(
    readonly dataDir: string,
    readonly store: LibraryStore,
  ) {}

  static async open<Event>(photos: Photo[], name: string): Promise<AnsweringBench<Event>> {
    const dataDir = await fsp.mkdtemp(path.join(os.tmpdir(), `vtc-${name}-`));
    const store = await LibraryStore.open(dataDir);
    for (const p of photos) await store.addPhoto(p);
    return new AnsweringBench<Event>(dataDir, store);
  }

  /** The dependencies of a chats or batch service, sending its events here. */
  deps(): AnsweringDeps<Event> {
    const { store, engine, catalog } = this;
    const library = new Library(store, this.dataDir);
    return {
      store,
      library,
      // No demo album in this data folder: no question has a known answer unless a test says so.
      demo: new DemoAlbum(library, this.dataDir),
      engine,
      models: createModelsService({ store, catalog, engine, emit: () => undefined, cpus: 2 }),
      emit: (e) => {
        this.events.push(e);
        this.waiters.splice(0).forEach((w) => w());
      },
      cacheDir: '/data/cache/vision-features',
    };
  }

  /** The first event `match` accepts, once it has been sent. */
  async until<T extends Event>(match: (e: Event) => e is T): Promise<T> {
    for (;;) {
      const hit = this.events.find(match);
      if (hit) return hit;
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  async close(): Promise<void> {
    await this.store.close();
    await fsp.rm(this.dataDir, { recursive: true, force: true });
  }
}
