// Small hand-checkable inputs shared by the pruning tests (imported by *.test.ts only).
import type { AttentionKind, AttentionScores, TokenLayout } from '../../pruning/types';

/** 2 tiles of 4x4 patches pooled 2x2: 2x2 tokens per tile, 8 tokens in all. */
export const TWO_TILE_LAYOUT: TokenLayout = { tiles: 2, patchRows: 4, patchCols: 4, poolFactor: 2 };

/**
 * Tile 0 patches 1..16 in raster order: its tokens average {1,2,5,6}, {3,4,7,8}, {9,10,13,14},
 * {11,12,15,16} = 3.5, 5.5, 11.5, 13.5. Tile 1 has 4 at patch (0,3) and 8 at patch (2,0): tokens
 * 0, 1, 2, 0.
 */
export function handTiles(): Float32Array[] {
  return [Float32Array.from({ length: 16 }, (_, i) => i + 1), Float32Array.from([0, 0, 0, 4, 0, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0])];
}
export const HAND_TOKEN_SCORES = [3.5, 5.5, 11.5, 13.5, 0, 1, 2, 0];

export function constantTiles(value: number): Float32Array[] {
  return [new Float32Array(16).fill(value), new Float32Array(16).fill(value)];
}

export function attentionOf(kind: AttentionKind, layerCount: number, layers: Array<[number, Float32Array[]]>): AttentionScores {
  return { layerCount, byKind: { [kind]: new Map(layers) } };
}
