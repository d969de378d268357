// Next-token choice from one row of logits: greedy (argmax, lowest id on ties) or sampling with temperature
// and nucleus (top-p) filtering from a seeded generator, so a seed reproduces an answer.
import type { SamplingOptions } from '../../../src-shared/api';
import { createRng } from '../random/prng';

export function argmax(logits: Float32Array): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
  return best;
}

export type TokenPicker = (logits: Float32Array) => number;

export function tokenPicker(options: SamplingOptions = {}): TokenPicker {
  const temperature = options.temperature ?? 0;
  if (!(temperature > 0)) return argmax;
  const topP = Math.min(Math.max(options.topP ?? 1, 0), 1);
  // Any number seeds (truncated, NaN as 0), as the generator takes whole numbers.
  const rng = createRng(Math.trunc(options.seed ?? Date.now()) || 0);
  return (logits) => {
    let max = -Infinity;
    for (const v of logits) if (v > max) max = v;
    const probs = new Float64Array(logits.length);
    let sum = 0;
    for (let i = 0; i < logits.length; i++) sum += probs[i] = Math.exp((logits[i] - max) / temperature);
    const order = Array.from(probs.keys()).sort((a, b) => probs[b] - probs[a] || a - b);
    // Keep the smallest prefix whose mass reaches top-p (always at least the most likely token).
    let kept = 0;
    let mass = 0;
    while (kept < order.length && (kept === 0 || mass < topP * sum)) mass += probs[order[kept++]];
    let r = rng.next() * mass;
    for (let i = 0; i < kept; i++) {
      r -= probs[order[i]];
      if (r <= 0) return order[i];
    }
    return order[kept - 1];
  };
}
