// The service's side of the shared schema language (src-shared/schema.ts): a value that fails its schema is
// the caller's mistake, so it becomes BAD_ARGUMENT, which every transport reports with its one-line message.
import { schemaProblem, type Infer, type Schema } from '../../src-shared/schema';
import { EngineError } from '../engine/errors';

/** Throws BAD_ARGUMENT naming the first offending field; returns the value typed as its schema says. */
export function check<S extends Schema>(schema: S, value: unknown, where: string): Infer<S> {
  const problem = schemaProblem(schema, value, where);
  if (problem) throw new EngineError('BAD_ARGUMENT', problem);
  return value as Infer<S>;
}
