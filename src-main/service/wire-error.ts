// Errors as they cross a process or network boundary: code + one-line message, never a stack.
import { EngineError, type EngineErrorCode } from '../engine/errors';

/** An error on any wire this app has: the engine process's messages, the browser host's replies, Electron's IPC. */
export interface WireError {
  code: string;
  message: string;
}

export function toWireError(e: unknown): WireError {
  if (e instanceof EngineError) return { code: e.code, message: e.message };
  const message = e instanceof Error ? e.message : String(e);
  return { code: 'INTERNAL', message: message.split('\n')[0] || 'Unexpected error' };
}

/** Rebuilds an EngineError on the receiving side so callers can branch on `code` as usual. */
export function fromWireError(w: WireError): Error {
  if (w.code === 'INTERNAL') return new Error(w.message);
  return new EngineError(w.code as EngineErrorCode, w.message);
}
