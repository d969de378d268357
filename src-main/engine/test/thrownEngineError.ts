// Test helper: the EngineError a synchronous call throws, so a test can check its code and its whole message
// (the promise twin is engineErrorOf in ../download/engine-error-of).
import { expect } from 'vitest';
import { EngineError } from '../errors';

export function thrownEngineError(run: () => unknown): EngineError {
  let outcome: unknown = 'returned';
  try {
    run();
  } catch (e) {
    outcome = e;
  }
  expect(outcome).toBeInstanceOf(EngineError);
  return outcome as EngineError;
}
