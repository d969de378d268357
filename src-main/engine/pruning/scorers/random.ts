// Baseline: seeded random scores. Each token's score is a hash of (seed, token index), so the
// result depends on nothing but those two integers: the same on every platform and engine, and
// one token's score does not change when the image has more tiles.
import { EngineError } from '../../errors';
import { tokenGridSize } from '../layout';
import type { Scorer } from '../types';

/** 32-bit avalanche mix (xor-shift / multiply rounds); Math.imul keeps it exact in JS numbers. */
function mix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x21f0aaad);
  h ^= h >>> 15;
  h = Math.imul(h, 0x735a2d97);
  h ^= h >>> 15;
  return h >>> 0;
}

/** A float in [0, 1) with 24 random bits (exact in a Float32Array) for each (seed, index). */
export function seededUnitFloat(seed: number, index: number): number {
  if (!Number.isSafeInteger(seed)) throw new EngineError('BAD_ARGUMENT', `random seed must be a whole number, got ${seed}`);
  const low = seed >>> 0;
  const high = Math.floor(seed / 2 ** 32) >>> 0;
  const seedHash = mix32(low ^ mix32(high ^ 0x9e3779b9));
  return (mix32(seedHash ^ Math.imul(index + 1, 0x85ebca6b)) >>> 8) / 2 ** 24;
}

export const randomScorer: Scorer = {
  method: 'random',
  needs: () => ({ kind: 'none', layers: [] }),
  score: ({ layout, seed }) => {
    const scores = new Float32Array(tokenGridSize(layout).totalTokens);
    for (let i = 0; i < scores.length; i++) scores[i] = seededUnitFloat(seed, i);
    return scores;
  },
};
