// The engine-process side of the protocol: runs calls one at a time (one model, one CPU budget),
// streams their events, and turns a cancel message into an AbortSignal.
import { EngineError } from '../../engine/errors';
import type { EngineCallEvent, FromEngine, ToEngine } from './engine-protocol';
import { toWireError } from '../wire-error';

/** How the worker talks to its parent: process.send for a forked child, parentPort for a utility process. */
export interface WorkerChannel {
  send(message: FromEngine): void;
  onMessage(listener: (message: ToEngine) => void): void;
}

export interface CallContext {
  signal: AbortSignal;
  emit(event: EngineCallEvent): void;
}

export type EngineHandlers = Record<string, (args: unknown, context: CallContext) => Promise<unknown>>;

export function serveEngine(channel: WorkerChannel, handlers: EngineHandlers): void {
  const controllers = new Map<number, AbortController>();
  let queue: Promise<void> = Promise.resolve();

  channel.onMessage((message) => {
    if (message.kind === 'cancel') {
      controllers.get(message.id)?.abort();
      return;
    }
    const controller = new AbortController();
    controllers.set(message.id, controller);
    queue = queue.then(async () => {
      try {
        const handler = Object.prototype.hasOwnProperty.call(handlers, message.method) ? handlers[message.method] : undefined;
        if (!handler) throw new EngineError('BAD_ARGUMENT', `The engine process has no method '${String(message.method)}'`);
        if (controller.signal.aborted) throw new EngineError('CANCELLED', 'Cancelled');
        const value = await handler(message.args, {
          signal: controller.signal,
          emit: (event) => channel.send({ kind: 'event', id: message.id, event }),
        });
        channel.send({ kind: 'result', id: message.id, value });
      } catch (e) {
        channel.send({ kind: 'error', id: message.id, error: toWireError(e) });
      } finally {
        controllers.delete(message.id);
      }
    });
  });
  channel.send({ kind: 'ready' });
}

/** The channel of a process started with child_process.fork. */
export function forkedProcessChannel(): WorkerChannel {
  if (!process.send) throw new Error('The engine worker must be started with child_process.fork (it has no IPC channel)');
  // An orphaned engine would hold memory and CPU for nothing.
  process.on('disconnect', () => process.exit(0));
  return {
    send: (message) => process.send?.(message),
    onMessage: (listener) => process.on('message', (m) => listener(m as ToEngine)),
  };
}
