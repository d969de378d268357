// Diversity-aware selection: the greedy MAP of a determinantal point process over the visual tokens, as CDPruner
// (arXiv 2506.10967) selects, with the kernel L = diag(q) S diag(q): S the cosine similarity of the tokens'
// features, q a quality read from the method's scores. A token similar to one already kept loses its claim, so a
// small budget covers every object instead of piling onto the most salient one. Fast greedy MAP by incremental
// Cholesky (Chen, Zhang & Zhou, NeurIPS 2018): O(k n dim) with the kernel's rows computed as they are needed.
import { EngineError } from '../errors';
import { rankTokens } from './select';
import type { TokenFeatures } from './types';

/**
 * Weight of the scores against diversity, θ in [0, 1): quality q = exp(α r) with α = θ / (2 (1 - θ)) and r the
 * scores scaled to [0, 1] (the relevance weighting of Chen et al. and CDPruner; θ = 0.5 is their default).
 */
export const DEFAULT_QUALITY_WEIGHT = 0.5;

/** Kept token indices, ascending. */
export function selectDiverse(
  scores: Float32Array,
  features: TokenFeatures,
  k: number,
  qualityWeight = DEFAULT_QUALITY_WEIGHT,
): Int32Array {
  const n = scores.length;
  const { values, dim } = features;
  if (!Number.isInteger(k) || k < 0 || k > n) throw new EngineError('BAD_BUDGET', `cannot keep ${k} of ${n} visual tokens`);
  if (values.length !== n * dim) {
    throw new EngineError('BAD_ARGUMENT', `diverse selection needs ${n} feature rows of ${dim}, got ${values.length} values`);
  }
  if (!(qualityWeight >= 0 && qualityWeight < 1))
    throw new EngineError('BAD_ARGUMENT', `quality weight must be in [0, 1), got ${qualityWeight}`);
  const ranking = rankTokens(scores); // also refuses NaN scores
  const unit = unitRows(values, n, dim);
  const quality = qualityOf(scores, qualityWeight / (2 * (1 - qualityWeight)));
  // d2[i]: the gain in log det of adding token i to the kept set (its kernel diagonal minus what the kept ones explain).
  const d2 = Float64Array.from(quality, (q) => q * q);
  const cholesky: Float64Array[] = [];
  const taken = new Uint8Array(n);
  let next = ranking[0];
  for (let picked = 0; picked < k; picked++) {
    if (next < 0) break;
    taken[next] = 1;
    if (picked === k - 1) break;
    const row = new Float64Array(n);
    const pivot = Math.sqrt(d2[next]);
    let best = -1;
    for (let i = 0; i < n; i++) {
      if (taken[i]) continue;
      let dot = 0;
      for (let d = 0; d < dim; d++) dot += unit[next * dim + d] * unit[i * dim + d];
      let e = quality[next] * quality[i] * dot;
      for (const c of cholesky) e -= c[next] * c[i];
      e /= pivot;
      row[i] = e;
      d2[i] -= e * e;
      if (best < 0 || d2[i] > d2[best] + 1e-12) best = i;
    }
    cholesky.push(row);
    // The kernel has rank at most dim: once every direction is taken, no token adds volume; fill by score.
    next = best >= 0 && d2[best] > 1e-9 ? best : -1;
  }
  let remaining = k - taken.reduce((a, b) => a + b, 0);
  for (let r = 0; r < n && remaining > 0; r++) {
    if (!taken[ranking[r]]) {
      taken[ranking[r]] = 1;
      remaining--;
    }
  }
  const kept = new Int32Array(k);
  let out = 0;
  for (let i = 0; i < n; i++) if (taken[i]) kept[out++] = i;
  return kept;
}

function unitRows(values: Float32Array, n: number, dim: number): Float64Array {
  const unit = new Float64Array(n * dim);
  for (let i = 0; i < n; i++) {
    let norm = 0;
    for (let d = 0; d < dim; d++) norm += values[i * dim + d] ** 2;
    const inv = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    for (let d = 0; d < dim; d++) unit[i * dim + d] = values[i * dim + d] * inv;
  }
  return unit;
}

function qualityOf(scores: Float32Array, alpha: number): Float64Array {
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of scores) {
    lo = Math.min(lo, s);
    hi = Math.max(hi, s);
  }
  const span = hi - lo;
  return Float64Array.from(scores, (s) => Math.exp(alpha * (span > 0 ? (s - lo) / span : 1)));
}
