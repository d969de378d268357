// Keep only the feature rows of the kept tokens, in the order given (ascending from selectTopK).
import { EngineError } from '../errors';

export function gatherRows(features: Float32Array, dim: number, kept: Int32Array): Float32Array {
  if (!Number.isInteger(dim) || dim <= 0 || features.length % dim !== 0) {
    throw new EngineError('BAD_ARGUMENT', `${features.length} feature values do not split into rows of ${dim}`);
  }
  const rows = features.length / dim;
  const out = new Float32Array(kept.length * dim);
  kept.forEach((row, i) => {
    if (row < 0 || row >= rows) throw new EngineError('BAD_ARGUMENT', `kept token ${row} is outside the ${rows} feature rows`);
    out.set(features.subarray(row * dim, row * dim + dim), i * dim);
  });
  return out;
}
