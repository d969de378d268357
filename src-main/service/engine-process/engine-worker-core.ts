// The engine-process side of the protocol: runs calls one at a time (one model, one CPU budget),
// streams their events, and turns a cancel message into an AbortSignal.
import { EngineError } from '../../engine/errors';
import type { EngineMethods, FromEngine, MethodTable, ToEngine } from './engine-protocol';
import { toWireError } from '../wire-error';

/** How the worker talks to its parent: process.send for a forked child, parentPort for a utility process. */
export interface WorkerChannel {
  send(message: FromEngine): void;
  onMessage(listener: (message: ToEngine) => void): void;
}

export interface CallContext<Event> {
  signal: AbortSignal;
  emit(event: Event): void;
}

/** One handler per method of the table, each typed by its own entry: a missing or misspelt method is a type error. */
export type EngineHandlers<T extends MethodTable<T> = EngineMethods> = {
  [M in keyof T]: (args: T[M]['args'], context: CallContext<T[M]['event']>) => Promise<T[M]['result']>;
};

export function serveEngine<T extends MethodTable<T>>(channel: WorkerChannel, handlers: EngineHandlers<T>): void {
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
        if (!Object.hasOwn(handlers, message.method))
          throw new EngineError('BAD_ARGUMENT', `The engine process has no method '${String(message.method)}'`);
        const method = message.method as keyof T;
        if (controller.signal.aborted) throw new EngineError('CANCELLED', 'Cancelled');
        // The one place the wire's `unknown` becomes the method's types. The sender is EngineClient in our own
        // parent process, compiled from the same table, after the app API checked what came from outside.
        const value = await handlers[method](message.args as T[typeof method]['args'], {
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
