// Test helpers: the EngineError a promise rejects with, or a synchronous call throws, so a test can check its
// code and its whole message.
import { expect } from 'vitest';
import { EngineError } from '../errors';

export async function engineErrorOf(p: Promise<unknown>): Promise<EngineError> {
  const outcome = await p.then(
    () => 'resolved',
    (err: unknown) => err,
  );
  expect(outcome).toBeInstanceOf(EngineError);
  return outcome as EngineError;
}

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
