// The app's handle on the engine process: numbered calls with streamed events and cancellation,
// and a supervisor that restarts the process when it dies. The engine runs one call at a time, so the
// client keeps the queue and hands the process one call at a time: it then always knows which call the
// process was working on. When the process dies, that call fails with ENGINE_CRASHED and the calls still
// waiting are sent to the restarted process, keeping their listeners. No call is ever sent twice, so a call
// that kills the engine fails once and cannot crash it in a loop. Everything else (library, chats, settings)
// lives in this process and is untouched.
import type { EngineStatusEvent } from '../../../src-shared/api';
import { EngineError } from '../../engine/errors';
import type { EngineLauncher, EngineChild } from './engine-launcher';
import type { EngineMethods, FromEngine, MethodTable } from './engine-protocol';
import { fromWireError } from '../wire-error';

/** A call as the queue keeps it: the wire's untyped values, typed again by `call` which made it. */
interface PendingCall {
  id: number;
  method: string;
  args: unknown;
  resolve(value: unknown): void;
  reject(error: Error): void;
  onEvent?: (event: unknown) => void;
}

export interface CallOptions<Event> {
  signal?: AbortSignal;
  onEvent?: (event: Event) => void;
}

export interface EngineClientOptions {
  onStatus?: (event: EngineStatusEvent) => void;
  /** First restart delay; doubles on each crash that follows quickly, up to maxRestartDelayMs. */
  restartDelayMs?: number;
  maxRestartDelayMs?: number;
}

/** A process that stayed up this long is considered healthy again: the next crash restarts it at once. */
const STABLE_AFTER_MS = 30_000;

/** Typed by a method table: the engine's own by default, a test worker's in the client's tests. */
export class EngineClient<T extends MethodTable<T> = EngineMethods> {
  private child: EngineChild | undefined;
  /** Set once `child` has reported ready; calls are sent only then. */
  private childReady = false;
  /** Calls not yet sent, oldest first. */
  private readonly waiting: PendingCall[] = [];
  /** The one call the process is working on. */
  private running: PendingCall | undefined;
  private nextId = 1;
  private crashes = 0;
  private startedAt = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private disposed = false;
  private ready: Promise<void> | undefined;

  constructor(
    private readonly launcher: EngineLauncher,
    private readonly options: EngineClientOptions = {},
  ) {}

  /** The running process's id (for diagnostics and tests). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the process if it is not running; resolves when it reports ready. */
  start(): Promise<void> {
    if (this.disposed) return Promise.reject(new EngineError('ENGINE_CRASHED', 'The engine has been shut down'));
    if (this.ready) return this.ready;
    this.status('starting');
    const child = this.launcher.launch();
    this.child = child;
    this.startedAt = Date.now();
    this.ready = new Promise<void>((resolve, reject) => {
      child.onMessage((message) => {
        if (message.kind === 'ready') {
          this.childReady = true;
          this.status('ready');
          resolve();
        } else this.receive(message);
      });
      child.onExit((description) => {
        reject(new EngineError('ENGINE_CRASHED', `The engine process ${description} before it was ready`));
        this.exited(child, description);
      });
    });
    // A failed start is reported through status and the calls waiting on it; nobody else awaits this.
    this.ready.catch(() => undefined);
    return this.ready;
  }

  /** Queues a call; it is sent to the engine process once the calls before it are done. */
  call<M extends keyof T & string>(method: M, args: T[M]['args'], options: CallOptions<T[M]['event']> = {}): Promise<T[M]['result']> {
    if (options.signal?.aborted) return Promise.reject(new EngineError('CANCELLED', 'Cancelled'));
    if (this.disposed) return Promise.reject(new EngineError('ENGINE_CRASHED', 'The engine has been shut down'));
    return new Promise((resolve, reject) => {
      const abort = () => this.cancel(call);
      const settle = () => options.signal?.removeEventListener('abort', abort);
      const call: PendingCall = {
        id: this.nextId++,
        method,
        args,
        // The process answers this call's id with this method's result and events (see serveEngine).
        resolve: (v) => {
          settle();
          resolve(v as T[M]['result']);
        },
        reject: (e) => {
          settle();
          reject(e);
        },
        onEvent: options.onEvent as ((event: unknown) => void) | undefined,
      };
      options.signal?.addEventListener('abort', abort, { once: true });
      this.waiting.push(call);
      this.sendNext();
    });
  }

  /** Stops the process for good (no restart); calls not yet sent fail. */
  dispose(): void {
    this.disposed = true;
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    this.failWaiting(new EngineError('ENGINE_CRASHED', 'The engine has been shut down'));
    this.child?.kill();
  }

  /** A call not yet sent is dropped here and never runs; the running one is asked to stop. */
  private cancel(call: PendingCall): void {
    const index = this.waiting.indexOf(call);
    if (index >= 0) {
      this.waiting.splice(index, 1);
      call.reject(new EngineError('CANCELLED', 'Cancelled'));
    } else if (this.running === call) {
      this.child?.send({ kind: 'cancel', id: call.id });
    }
  }

  /** Sends the oldest waiting call when the process is ready and idle; starts the process if it is not running. */
  private sendNext(): void {
    if (this.running || this.disposed || this.waiting.length === 0) return;
    if (!this.child || !this.childReady) {
      // After a crash the restart timer brings the process back (with its backoff), then calls this again.
      if (this.restartTimer) return;
      this.start().then(
        () => this.sendNext(),
        (e: Error) => this.failWaiting(e),
      );
      return;
    }
    const call = this.waiting.shift()!;
    this.running = call;
    this.child.send({ kind: 'call', id: call.id, method: call.method, args: call.args });
  }

  private failWaiting(error: Error): void {
    for (const call of this.waiting.splice(0)) call.reject(error);
  }

  private receive(message: Exclude<FromEngine, { kind: 'ready' }>): void {
    const call = this.running;
    if (!call || call.id !== message.id) return;
    if (message.kind === 'event') {
      call.onEvent?.(message.event);
      return;
    }
    this.running = undefined;
    if (message.kind === 'result') call.resolve(message.value);
    else call.reject(fromWireError(message.error));
    this.sendNext();
  }

  private exited(child: EngineChild, description: string): void {
    if (child !== this.child) return;
    this.child = undefined;
    this.childReady = false;
    this.ready = undefined;
    const running = this.running;
    this.running = undefined;
    running?.reject(
      new EngineError('ENGINE_CRASHED', `The engine process ${description} while working; it is being restarted. Ask again.`),
    );
    if (this.disposed) return;
    this.crashes = Date.now() - this.startedAt > STABLE_AFTER_MS ? 1 : this.crashes + 1;
    this.status('crashed', `The engine process ${description}.`);
    const base = this.options.restartDelayMs ?? 500;
    const delay = Math.min(base * 2 ** (this.crashes - 1), this.options.maxRestartDelayMs ?? 10_000);
    this.status('restarting', `Restarting the engine in ${(delay / 1000).toFixed(1)} s.`);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (this.disposed) return;
      // The calls that were waiting go to the new process; if it cannot start either, they fail with why.
      this.start().then(
        () => this.sendNext(),
        (e: Error) => this.failWaiting(e),
      );
    }, delay);
  }

  private status(state: EngineStatusEvent['state'], message?: string): void {
    this.options.onStatus?.(message === undefined ? { type: 'engine', state } : { type: 'engine', state, message });
  }
}
