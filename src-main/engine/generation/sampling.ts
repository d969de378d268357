// Next-token choice from one row of logits: greedy (argmax, lowest id on ties) or sampling with temperature
// and nucleus (top-p) filtering from a seeded generator, so a seed reproduces an answer.
import type { SamplingOptions } from '../../../src-shared/api';

export function argmax(logits: Float32Array): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
  return best;
}

/** mulberry32: tiny, fast, and the same sequence on every platform. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type TokenPicker = (logits: Float32Array) => number;

export function tokenPicker(options: SamplingOptions = {}): TokenPicker {
  const temperature = options.temperature ?? 0;
  if (!(temperature > 0)) return argmax;
  const topP = Math.min(Math.max(options.topP ?? 1, 0), 1);
  const random = seededRandom(options.seed ?? Date.now());
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
    let r = random() * mass;
    for (let i = 0; i < kept; i++) {
      r -= probs[order[i]];
      if (r <= 0) return order[i];
    }
    return order[kept - 1];
  };
}
