import { describe, expect, it } from 'vitest';
import { poolPatchScores } from './pool';
import { HAND_TOKEN_SCORES, TWO_TILE_LAYOUT, handTiles } from '../test/pruning/inputs';

describe('poolPatchScores', () => {
  it('averages each 2x2 patch group, tile-major, raster over the token grid', () => {
    expect(Array.from(poolPatchScores(handTiles(), TWO_TILE_LAYOUT))).toEqual(HAND_TOKEN_SCORES);
  });

  it('maps patch (pr, pc) of a SmolVLM tile to token (pr/4, pc/4) of its 8x8 grid, as pixel_shuffle groups them', () => {
    const layout = { tiles: 2, patchRows: 32, patchCols: 32, poolFactor: 4 };
    for (const [pr, pc] of [
      [0, 0],
      [3, 4],
      [17, 30],
      [31, 31],
    ]) {
      const tiles = [new Float32Array(1024), new Float32Array(1024)];
      tiles[1][pr * 32 + pc] = 16;
      const pooled = poolPatchScores(tiles, layout);
      const token = 64 + Math.floor(pr / 4) * 8 + Math.floor(pc / 4);
      expect(pooled[token]).toBe(1);
      expect(pooled.reduce((a, b) => a + b, 0)).toBe(1);
    }
  });

  it('is the identity with poolFactor 1 (LLaVA: one patch per token)', () => {
    const tiles = [Float32Array.from([0.5, 0.25, 0.125, 1, 2, 3])];
    expect(poolPatchScores(tiles, { tiles: 1, patchRows: 2, patchCols: 3, poolFactor: 1 })).toEqual(tiles[0]);
  });

  it('refuses patch scores that do not match the layout', () => {
    expect(() => poolPatchScores(handTiles().slice(0, 1), TWO_TILE_LAYOUT)).toThrow(/expected patch scores for 2 tiles, got 1/);
    expect(() => poolPatchScores([new Float32Array(16), new Float32Array(15)], TWO_TILE_LAYOUT)).toThrow(
      /tile 1 has 15 patch scores, expected 4x4 = 16/,
    );
    expect(() => poolPatchScores(handTiles(), { ...TWO_TILE_LAYOUT, poolFactor: 3 })).toThrow(/cannot be pooled in 3x3 groups/);
    expect(() => poolPatchScores(handTiles(), { ...TWO_TILE_LAYOUT, tiles: 0 })).toThrow(/positive integers/);
  });
});
