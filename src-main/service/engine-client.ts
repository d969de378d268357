// The app's handle on the engine process: numbered calls with streamed events and cancellation,
// and a supervisor that restarts the process when it dies. Calls in flight when it dies fail with
// ENGINE_CRASHED; everything else (library, chats, settings) lives in this process and is untouched.
import type { EngineStatusEvent } from '../../src-shared/api';
import { EngineError } from '../engine/errors';
import type { EngineLauncher, EngineChild } from './engine-launcher';
import type { EngineCallEvent, EngineMethodName, EngineMethods, FromEngine } from './engine-protocol';
import { fromWireError } from './wire-error';

interface PendingCall {
  resolve(value: unknown): void;
  reject(error: Error): void;
  onEvent?: (event: EngineCallEvent) => void;
}

export interface CallOptions {
  signal?: AbortSignal;
  onEvent?: (event: EngineCallEvent) => void;
}

export interface EngineClientOptions {
  onStatus?: (event: EngineStatusEvent) => void;
  /** First restart delay; doubles on each crash that follows quickly, up to maxRestartDelayMs. */
  restartDelayMs?: number;
  maxRestartDelayMs?: number;
}

/** A process that stayed up this long is considered healthy again: the next crash restarts it at once. */
const STABLE_AFTER_MS = 30_000;

export class EngineClient {
  private child: EngineChild | undefined;
  private readonly pending = new Map<number, PendingCall>();
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

  async call<M extends EngineMethodName>(method: M, args: EngineMethods[M]['args'], options: CallOptions = {}): Promise<EngineMethods[M]['result']> {
    if (options.signal?.aborted) throw new EngineError('CANCELLED', 'Cancelled');
    await this.start();
    const child = this.child;
    if (!child) throw new EngineError('ENGINE_CRASHED', 'The engine process is not running');
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const abort = () => child.send({ kind: 'cancel', id });
      options.signal?.addEventListener('abort', abort, { once: true });
      const settle = () => options.signal?.removeEventListener('abort', abort);
      this.pending.set(id, {
        resolve: (v) => {
          settle();
          resolve(v as EngineMethods[M]['result']);
        },
        reject: (e) => {
          settle();
          reject(e);
        },
        onEvent: options.onEvent,
      });
      child.send({ kind: 'call', id, method, args });
    });
  }

  /** Stops the process for good (no restart). */
  dispose(): void {
    this.disposed = true;
    clearTimeout(this.restartTimer);
    this.child?.kill();
  }

  private receive(message: Exclude<FromEngine, { kind: 'ready' }>): void {
    const call = this.pending.get(message.id);
    if (!call) return;
    if (message.kind === 'event') {
      call.onEvent?.(message.event);
      return;
    }
    this.pending.delete(message.id);
    if (message.kind === 'result') call.resolve(message.value);
    else call.reject(fromWireError(message.error));
  }

  private exited(child: EngineChild, description: string): void {
    if (child !== this.child) return;
    this.child = undefined;
    this.ready = undefined;
    const failure = new EngineError('ENGINE_CRASHED', `The engine process ${description} while working; it is being restarted. Ask again.`);
    for (const call of this.pending.values()) call.reject(failure);
    this.pending.clear();
    if (this.disposed) return;
    this.crashes = Date.now() - this.startedAt > STABLE_AFTER_MS ? 1 : this.crashes + 1;
    this.status('crashed', `The engine process ${description}.`);
    const base = this.options.restartDelayMs ?? 500;
    const delay = Math.min(base * 2 ** (this.crashes - 1), this.options.maxRestartDelayMs ?? 10_000);
    this.status('restarting', `Restarting the engine in ${(delay / 1000).toFixed(1)} s.`);
    this.restartTimer = setTimeout(() => {
      if (!this.disposed) this.start().catch(() => undefined);
    }, delay);
  }

  private status(state: EngineStatusEvent['state'], message?: string): void {
    this.options.onStatus?.(message === undefined ? { type: 'engine', state } : { type: 'engine', state, message });
  }
}
