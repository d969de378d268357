// Messages between the app and the engine process. Plain JSON: the same protocol runs over
// child_process.fork (browser host) and Electron's utilityProcess (desktop app).
// One method table types both ends: EngineClient's `call` and serveEngine's handler map are derived
// from it, so a method, its argument, its result and its streamed events are written down once.
import type { Budget, ChatTurn, CompareResult, CompareStage, ExecutionProvider, PruningMethod } from '../../../src-shared/api';
import type { WireError } from '../wire-error';

/** One method of a process: what it takes, what it answers, and what it streams while it runs (`never`: nothing). */
export interface MethodSpec {
  args: unknown;
  result: unknown;
  event: unknown;
}

/** A process's methods by name. EngineClient and serveEngine are generic over it (a test worker has its own). */
export type MethodTable<T> = { [M in keyof T]: MethodSpec };

/** What the engine process can be asked to do. */
export type EngineMethods = {
  providers: { args: Record<string, never>; result: ExecutionProvider[]; event: never };
  /** Opens and runs a one-node session on `ep`: resolves if the provider really starts here, else PROVIDER_UNAVAILABLE. */
  probeProvider: { args: { ep: ExecutionProvider }; result: null; event: never };
  /** Answers once pruned and once without pruning, streaming its stages and the tokens of both sides. */
  compare: { args: CompareJob; result: CompareResult; event: CompareEvent };
};

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
  /** Share of the crops to encode, chosen by attention (QuestionParams.crops); absent: every crop. */
  crops?: number;
}

/** A token of one side of a running compare. */
export interface CompareTokenEvent {
  side: 'full' | 'pruned';
  text: string;
}

/** What a running compare streams: a token, or the stage it has reached. */
export type CompareEvent = CompareTokenEvent | { progress: CompareStage };

/**
 * The wire form. `method`, `args`, `event` and `value` are untyped here on purpose: a message is data from
 * another process. Each end turns it back into its method's types in one place (EngineClient by the call id,
 * serveEngine by the method name).
 */
export type ToEngine = { kind: 'call'; id: number; method: string; args: unknown } | { kind: 'cancel'; id: number };

export type FromEngine =
  | { kind: 'ready' }
  | { kind: 'event'; id: number; event: unknown }
  | { kind: 'result'; id: number; value: unknown }
  | { kind: 'error'; id: number; error: WireError };
