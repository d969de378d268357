// What the question-dependent scorers share: reading a signal the engine computed from the decoder probe.
import { EngineError } from '../../errors';
import { tokenGridSize } from '../layout';
import type { ScorerContext } from '../types';

export function tokenSignal(method: string, what: string, values: Float32Array | undefined, ctx: ScorerContext): Float32Array {
  if (!values) throw new EngineError('BAD_ARGUMENT', `${method} needs ${what}, none was given`);
  const { totalTokens } = tokenGridSize(ctx.layout);
  if (values.length !== totalTokens) {
    throw new EngineError('BAD_ARGUMENT', `${method} got ${what} for ${values.length} visual tokens, the image has ${totalTokens}`);
  }
  return values;
}
