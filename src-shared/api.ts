// The one typed API between the renderer and the engine side. The Electron preload bridge, the
// main-process IPC handlers and the browser host all implement or forward exactly this surface.
// No Node, DOM or ONNX imports here: every type must cross a process boundary as structured-clone / JSON data.

/** Token-importance methods. `full` is not a method: it is the unpruned run. */
export const PRUNING_METHODS = ['vtc-cls', 'vtc-cls-ensemble', 'received', 'random', 'uniform'] as const;
export type PruningMethod = (typeof PRUNING_METHODS)[number];

/** How many visual tokens a pruned run keeps: an absolute count or a fraction of all visual tokens. */
export type Budget = { kind: 'count'; count: number } | { kind: 'ratio'; ratio: number };

export type ExecutionProvider = 'cpu' | 'cuda' | 'dml' | 'coreml' | 'webgpu';

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
}

export interface DownloadProgress {
  modelId: string;
  file: string;
  receivedBytes: number;
  totalBytes: number;
  state: 'downloading' | 'paused' | 'verifying' | 'done' | 'error';
  error?: string;
}

export interface EngineSettings {
  modelId: string;
  ep: ExecutionProvider;
  threads: number;
}

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

export interface ImportRequest {
  /** Files and folders (imported recursively), absolute paths on the machine the app runs on. */
  paths: string[];
  /**
   * Names this import in its progress events and in cancelImport. The caller picks it, because the call itself
   * lasts as long as the import: its answer is the report. Absent: the app picks one.
   */
  importId?: string;
}

export interface ImportReport {
  added: Photo[];
  errors: ImportProblem[];
  /** Stopped by cancelImport, or because the page that started it went away, before every file was read. */
  cancelled: boolean;
}

/** Streamed while importPaths runs: `done` of `total` files finished, `path` the one being read (total is 0 while folders are still being listed). */
export type ImportEvent = { type: 'import-progress'; importId: string; done: number; total: number; path: string };

export interface ChatEntry {
  id: string;
  photoId: string;
  question: string;
  askedAt: number;
  method: PruningMethod;
  budget: Budget;
  result?: CompareResult;
  error?: string;
}

export interface AskRequest {
  photoId: string;
  question: string;
  method: PruningMethod;
  budget: Budget;
  maxNewTokens?: number;
}

/** Streamed while an ask runs: tokens of each side as they come. */
export type AskEvent =
  | { type: 'token'; askId: string; side: 'full' | 'pruned'; text: string }
  | { type: 'done'; askId: string; entry: ChatEntry }
  | { type: 'error'; askId: string; message: string };

export interface BatchRequest {
  photoIds: string[];
  question: string;
  method: PruningMethod;
  budget: Budget;
}

export interface BatchRow {
  photoId: string;
  full?: string;
  pruned?: string;
  agree?: boolean;
  savedMs?: number;
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

export type ServerEvent = AskEvent | BatchEvent | ImportEvent | EngineStatusEvent | LibraryReadOnlyEvent | ({ type: 'download' } & DownloadProgress);

/** The request/response half of the API: every method takes one JSON argument and returns JSON. */
export interface AppApi {
  machineInfo(): Promise<MachineInfo>;
  listModels(): Promise<ModelInfo[]>;
  pullModel(arg: { modelId: string }): Promise<void>;
  pausePull(arg: { modelId: string }): Promise<void>;
  importModelFolder(arg: { dir: string }): Promise<ModelInfo>;
  getSettings(): Promise<EngineSettings>;
  setSettings(arg: EngineSettings): Promise<EngineSettings>;

  libraryHealth(): Promise<LibraryHealth>;
  listPhotos(arg: { query?: string }): Promise<Photo[]>;
  importPaths(arg: ImportRequest): Promise<ImportReport>;
  cancelImport(arg: { importId: string }): Promise<void>;
  importUpload(arg: { name: string; base64: string }): Promise<Photo>;
  removePhoto(arg: { photoId: string }): Promise<void>;
  chat(arg: { photoId: string }): Promise<ChatEntry[]>;

  ask(arg: AskRequest): Promise<{ askId: string }>;
  cancelAsk(arg: { askId: string }): Promise<void>;
  batch(arg: BatchRequest): Promise<{ batchId: string }>;
  cancelBatch(arg: { batchId: string }): Promise<void>;
}

export type AppApiMethod = keyof AppApi;
