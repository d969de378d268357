// Messages between the app and the engine process. Plain JSON: the same protocol runs over
// child_process.fork (browser host) and Electron's utilityProcess (desktop app).
import type { Budget, ChatTurn, CompareResult, ExecutionProvider, PruningMethod } from '../../../src-shared/api';

/** What the engine process can be asked to do. */
export interface EngineMethods {
  providers: { args: Record<string, never>; result: ExecutionProvider[] };
  /** Opens and runs a one-node session on `ep`: resolves if the provider really starts here, else PROVIDER_UNAVAILABLE. */
  probeProvider: { args: { ep: ExecutionProvider }; result: null };
  compare: { args: CompareJob; result: CompareResult };
}
export type EngineMethodName = keyof EngineMethods;

export interface CompareJob {
  modelDir: string;
  ep: ExecutionProvider;
  threads: number;
  /** Per-photo vision feature cache, inside the user's data folder. */
  cacheDir: string;
  image: string;
  prompt: string;
  history: ChatTurn[];
  maxNewTokens?: number;
  method: PruningMethod;
  budget: Budget;
}

/** A streamed event of a running call (compare streams the tokens of both sides). */
export interface EngineCallEvent {
  side: 'full' | 'pruned';
  text: string;
}

export interface WireError {
  code: string;
  message: string;
}

export type ToEngine =
  | { kind: 'call'; id: number; method: EngineMethodName; args: unknown }
  | { kind: 'cancel'; id: number };

export type FromEngine =
  | { kind: 'ready' }
  | { kind: 'event'; id: number; event: EngineCallEvent }
  | { kind: 'result'; id: number; value: unknown }
  | { kind: 'error'; id: number; error: WireError };
