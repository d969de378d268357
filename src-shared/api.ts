// The one typed API between the renderer and the engine side. The Electron preload bridge, the
// main-process IPC handlers and the browser host all implement or forward exactly this surface.
// No Node, DOM or ONNX imports here: every type must cross a process boundary as structured-clone / JSON data.
//
// The request/response half is one table, APP_API (at the end): each method's argument schema, which the
// service checks every call against, and its result type. The argument types, the AppApi interface and the
// renderer's method list are read off that table, so a new call is one entry there plus its handler.
import { PRUNING_METHODS, type PruningMethod } from './pruning-methods';
import { int, list, none, obj, oneOf, str, tagged, type Infer, type NoneSchema, type Schema } from './schema';

export { PRUNING_METHODS, PRUNING_METHOD_INFO, type PruningMethod, type PruningMethodInfo } from './pruning-methods';

/** How many visual tokens a pruned run keeps: an absolute count or a fraction of all visual tokens. */
export const BUDGET = tagged('kind', {
  count: obj({ kind: oneOf(['count']), count: int(1, 1_000_000) }),
  ratio: obj({ kind: oneOf(['ratio']), ratio: { kind: 'number', min: 0, exclusiveMin: true, max: 1 } }),
});
export type Budget = Infer<typeof BUDGET>;

/** Share of a tiling model's crops to encode (SmolVLM), chosen by the global view's attention; absent: every crop. */
export const CROP_BUDGET = { kind: 'number', min: 0, exclusiveMin: true, max: 1 } as const;

export const EXECUTION_PROVIDERS = ['cpu', 'cuda', 'dml', 'coreml', 'webgpu'] as const;
export type ExecutionProvider = (typeof EXECUTION_PROVIDERS)[number];

/** Ids of models, photos and running calls, as the app hands them out. */
const id = str(200);

export interface SamplingOptions {
  /** 0 or absent: greedy. */
  temperature?: number;
  topP?: number;
  seed?: number;
}

export interface StageTimings {
  preprocessMs: number;
  visionMs: number;
  embedMs: number;
  /** Pruned answers: ranking the visual tokens (for question-dependent methods a pass through the first LLM
   * layers), part of the time to first token and of every speedup. Absent in full. */
  rankMs?: number;
  /** Time to first token: the prefill forward pass plus picking the first token. */
  prefillMs: number;
  decodeMs: number;
  decodeTokens: number;
  tokensPerSecond: number;
  totalMs: number;
}

export interface AnswerCounts {
  visualTokens: number;
  promptTokens: number;
  generatedTokens: number;
  kvCacheBytes: number;
}

export interface Answer {
  text: string;
  tokens: number[];
  timings: StageTimings;
  counts: AnswerCounts;
  /** True when vision features came from the per-photo cache (vision encoding skipped). */
  visionCached: boolean;
}

/** Layout of the visual tokens, so a UI can draw scores and kept tokens over the photo. */
export interface TokenGrid {
  /** One entry per tile (image crop), in the order the model sees them. */
  tiles: Array<{
    /** Crop rectangle in the original image, in fractions of width and height (0..1). */
    x: number;
    y: number;
    width: number;
    height: number;
    rows: number;
    cols: number;
    /** True for the downscaled whole-image view. */
    global: boolean;
  }>;
}

export interface PrunedAnswer extends Answer {
  method: PruningMethod;
  /** Indices into the flat list of visual tokens (tile-major, raster order), ascending. */
  kept: number[];
}

export interface CompareResult {
  full: Answer;
  pruned: PrunedAnswer;
  /** Importance per visual token (flat, same indexing as `kept`). */
  scores: number[];
  grid: TokenGrid;
}

/**
 * What a running comparison is doing, for a progress display: the photo's stages first (once, for both sides),
 * then each side's. The pruned side runs first, so its quicker answer is not hidden behind the full one; a side's
 * decoding shows as its streamed tokens.
 */
export type CompareStage =
  | { stage: 'loading'; step: 'opening' | 'warming-up' }
  | { stage: 'reading' }
  | { stage: 'encoding'; done: number; total: number }
  | { stage: 'ranking' }
  | { stage: 'prefill'; side: 'full' | 'pruned' }
  | { stage: 'answered'; side: 'full' | 'pruned' };

export interface ChatTurn {
  role: 'user' | 'assistant';
  text: string;
}

// ---------------------------------------------------------------------------------------------
// Application API (renderer <-> app). Models, library, chats, batch.

export interface ModelInfo {
  id: string;
  name: string;
  /** Installed folder, absent for a known-but-not-downloaded model. */
  dir?: string;
  installed: boolean;
  bytes: number;
  family: string;
  embedded: boolean;
  /** Pruning methods this model supports (the attention methods depend on its vision encoder). */
  methods: PruningMethod[];
  /** Real sizes and random weights, for `vtc bench` only: its answers are gibberish, so the app never offers it. */
  benchmark?: boolean;
  /** Random weights (a test fixture): its answers are meaningless, so the app offers it only as a developer option. */
  randomWeights?: boolean;
}

export interface DownloadProgress {
  modelId: string;
  file: string;
  receivedBytes: number;
  totalBytes: number;
  state: 'downloading' | 'paused' | 'verifying' | 'done' | 'error';
  error?: string;
}

export const ENGINE_SETTINGS = obj({ modelId: id, ep: oneOf(EXECUTION_PROVIDERS), threads: int(1, 256) });
export type EngineSettings = Infer<typeof ENGINE_SETTINGS>;

export interface MachineInfo {
  providers: ExecutionProvider[];
  cpus: number;
}

export interface Photo {
  id: string;
  name: string;
  path: string;
  width: number;
  height: number;
  addedAt: number;
}

export interface ImportProblem {
  path: string;
  message: string;
}

export const IMPORT_REQUEST = obj(
  {
    /** Files and folders (imported recursively), absolute paths on the machine the app runs on. */
    paths: list(str(), { minItems: 1, maxItems: 10_000 }),
    /**
     * Names this import in its progress events and in cancelImport. The caller picks it, because the call itself
     * lasts as long as the import: its answer is the report. Absent: the app picks one.
     */
    importId: id,
  },
  ['importId'],
);
export type ImportRequest = Infer<typeof IMPORT_REQUEST>;

export interface ImportReport {
  added: Photo[];
  errors: ImportProblem[];
  /** Stopped by cancelImport, or because the page that started it went away, before every file was read. */
  cancelled: boolean;
}

/** Streamed while importPaths runs: `done` of `total` files finished, `path` the one being read (total is 0 while folders are still being listed). */
export type ImportEvent = { type: 'import-progress'; importId: string; done: number; total: number; path: string };

/** Each side's answer against the known true answer (demo scenes carry theirs from `vtc synth`). */
export interface Grade {
  expected: string;
  full: boolean;
  pruned: boolean;
}

export interface ChatEntry {
  id: string;
  photoId: string;
  question: string;
  askedAt: number;
  method: PruningMethod;
  budget: Budget;
  /** The crop budget the question was asked under, when it had one. */
  crops?: number;
  result?: CompareResult;
  /** Present when the true answer to this question about this photo is known. */
  grade?: Grade;
  /** Stopped by the person before both answers were complete: what each side had written by then. */
  stopped?: { full: string; pruned: string };
  error?: string;
}

const question = str(2000);

export const ASK_REQUEST = obj(
  { photoId: id, question, method: oneOf(PRUNING_METHODS), budget: BUDGET, crops: CROP_BUDGET, maxNewTokens: int(1, 1024) },
  ['crops', 'maxNewTokens'],
);
export type AskRequest = Infer<typeof ASK_REQUEST>;

/** Streamed while an ask runs: the stage it is in, and the tokens of each side as they come. */
export type AskEvent =
  | { type: 'stage'; askId: string; progress: CompareStage }
  | { type: 'token'; askId: string; side: 'full' | 'pruned'; text: string }
  | { type: 'done'; askId: string; entry: ChatEntry }
  | { type: 'error'; askId: string; message: string };

export const BATCH_REQUEST = obj({
  photoIds: list(id, { minItems: 1, maxItems: 10_000 }),
  question,
  method: oneOf(PRUNING_METHODS),
  budget: BUDGET,
});
export type BatchRequest = Infer<typeof BATCH_REQUEST>;

export interface BatchRow {
  photoId: string;
  full?: string;
  pruned?: string;
  agree?: boolean;
  /** Present when the true answer is known (demo scenes). */
  grade?: Grade;
  /** Each side's own compute in ms: prompt, prefill and decode (the photo's shared stages are in neither). */
  fullMs?: number;
  prunedMs?: number;
  error?: string;
}

export type BatchEvent =
  | { type: 'progress'; batchId: string; done: number; total: number; row: BatchRow }
  | { type: 'finished'; batchId: string; cancelled: boolean };

export type EngineStatusEvent = { type: 'engine'; state: 'starting' | 'ready' | 'restarting' | 'crashed'; message?: string };

/** The state of the library's files, for a banner and notices at start. */
export interface LibraryHealth {
  /** The disk is full: nothing new can be saved until space is freed (the app notices by itself). */
  readOnly: boolean;
  /** What the person should know about the library's files, in plain words (e.g. records set aside). */
  notices: string[];
}

/** Sent when the library enters or leaves read-only mode. */
export type LibraryReadOnlyEvent = { type: 'library-read-only'; readOnly: boolean };

export type ServerEvent =
  AskEvent | BatchEvent | ImportEvent | EngineStatusEvent | LibraryReadOnlyEvent | ({ type: 'download' } & DownloadProgress);

/** One method of the app API: the schema its argument must pass, and (as a type only) what it answers. */
export interface ApiMethod<S extends Schema = Schema, R = unknown> {
  readonly arg: S;
  readonly result?: R;
}

/** `takes(schema).returns<Result>()`: a method's table entry. */
function takes<S extends Schema>(arg: S) {
  return { returns: <R>(): ApiMethod<S, R> => ({ arg }) };
}

/**
 * The request/response half of the API: every method takes one JSON argument (checked against its schema by the
 * service, whichever transport it came through) and returns JSON.
 */
export const APP_API = {
  machineInfo: takes(none).returns<MachineInfo>(),
  listModels: takes(none).returns<ModelInfo[]>(),
  pullModel: takes(obj({ modelId: id })).returns<void>(),
  pausePull: takes(obj({ modelId: id })).returns<void>(),
  importModelFolder: takes(obj({ dir: str() })).returns<ModelInfo>(),
  getSettings: takes(none).returns<EngineSettings>(),
  setSettings: takes(ENGINE_SETTINGS).returns<EngineSettings>(),

  libraryHealth: takes(none).returns<LibraryHealth>(),
  listPhotos: takes(obj({ query: str(500, 0) }, ['query'])).returns<Photo[]>(),
  importPaths: takes(IMPORT_REQUEST).returns<ImportReport>(),
  cancelImport: takes(obj({ importId: id })).returns<void>(),
  importUpload: takes(obj({ name: str(255), base64: str(140 * 1024 * 1024) })).returns<Photo>(),
  removePhoto: takes(obj({ photoId: id })).returns<void>(),
  /** Puts back the demo scenes the library lacks (their files are rewritten; chats are kept). */
  restoreDemoAlbum: takes(none).returns<Photo[]>(),
  chat: takes(obj({ photoId: id })).returns<ChatEntry[]>(),
  /** Questions with a known true answer about this photo, for chips on an empty chat (none outside the demo album). */
  suggestedQuestions: takes(obj({ photoId: id })).returns<string[]>(),

  ask: takes(ASK_REQUEST).returns<{ askId: string }>(),
  cancelAsk: takes(obj({ askId: id })).returns<void>(),
  batch: takes(BATCH_REQUEST).returns<{ batchId: string }>(),
  cancelBatch: takes(obj({ batchId: id })).returns<void>(),
} satisfies Record<string, ApiMethod>;

export type AppApiMethod = keyof typeof APP_API;

/** Every method name, in the table's order (the renderer builds its client from it). */
export const APP_API_METHODS = Object.keys(APP_API) as AppApiMethod[];

/** The argument a method takes, as its schema infers it. */
export type AppApiArg<M extends AppApiMethod> = Infer<(typeof APP_API)[M]['arg']>;
/** What a method answers. */
export type AppApiResult<M extends AppApiMethod> = (typeof APP_API)[M] extends ApiMethod<Schema, infer R> ? R : never;

/** The API as methods: a method whose schema is `none` takes no argument. */
export type AppApi = {
  [M in AppApiMethod]: (typeof APP_API)[M]['arg'] extends NoneSchema
    ? () => Promise<AppApiResult<M>>
    : (arg: AppApiArg<M>) => Promise<AppApiResult<M>>;
};
