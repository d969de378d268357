// Cache values for the cache tests (imported by *.test.ts only).
import type { CachedVision } from '../../cache/entry-format';

/** rows x dim features counting up from `start`, with [CLS] attention of two layers and received attention
 * of one layer, over two 2x2 tiles. */
export function sampleVision(start = 0, rows = 3, dim = 4): CachedVision {
  return {
    features: Float32Array.from({ length: rows * dim }, (_, i) => start + i / 8),
    featureDims: [rows, dim],
    attention: {
      layerCount: 4,
      byKind: {
        cls: new Map([
          [1, [Float32Array.from([0.1, 0.2, 0.3, 0.4]), Float32Array.from([1, 2, 3, 4])]],
          [2, [Float32Array.from([0.5, 0.25, 0.125, 0.125]), Float32Array.from([-1, 0, 1, 2])]],
        ]),
        received: new Map([[2, [Float32Array.from([0.7, 0.1, 0.1, 0.1]), Float32Array.from([0, 0, 0.5, 0.5])]]]),
      },
    },
    meta: { tiles: 2, grid: { rows: 1, cols: 1 }, note: 'ü' },
  };
}

export const KEY_A = 'a'.repeat(64);
export const KEY_B = 'b'.repeat(64);
export const KEY_C = 'c'.repeat(64);
export const KEY_D = 'd'.repeat(64);
