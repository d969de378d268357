// Patch scores → token scores. A connector that merges f x f patches into one LLM token (SmolVLM's
// pixel shuffle, f = 4) gets one score per token: the mean over the patches it merges.
//
// Group order follows Idefics3Connector.pixel_shuffle in HF transformers: it views the patch
// sequence as [rows, cols, dim], folds f neighbouring columns into the channel axis, transposes,
// folds f neighbouring rows, transposes back and flattens. Output token t = r * (cols / f) + c
// therefore holds exactly the patches of rows r*f..r*f+f-1 and cols c*f..c*f+f-1 (the order of
// the patches inside its channels differs, which a mean ignores). Checked numerically against
// that code with torch on 32x32/f=4, 12x12/f=3 and 4x4/f=2 patch-index grids.
import { EngineError } from '../errors';
import { tokenGridSize } from './layout';
import type { TokenLayout } from './types';

/** Mean over each poolFactor x poolFactor patch group; tile-major, raster order over the token grid. */
export function poolPatchScores(perTilePatchScores: Float32Array[], layout: TokenLayout): Float32Array {
  const { tokenRows, tokenCols, tokensPerTile, totalTokens } = tokenGridSize(layout);
  const { patchRows, patchCols, poolFactor: f } = layout;
  if (perTilePatchScores.length !== layout.tiles) {
    throw new EngineError('BAD_ARGUMENT', `expected patch scores for ${layout.tiles} tiles, got ${perTilePatchScores.length}`);
  }
  const out = new Float32Array(totalTokens);
  const groupSize = f * f;
  perTilePatchScores.forEach((patches, tile) => {
    if (patches.length !== patchRows * patchCols) {
      throw new EngineError(
        'BAD_ARGUMENT',
        `tile ${tile} has ${patches.length} patch scores, expected ${patchRows}x${patchCols} = ${patchRows * patchCols}`,
      );
    }
    for (let r = 0; r < tokenRows; r++) {
      for (let c = 0; c < tokenCols; c++) {
        let sum = 0;
        for (let dr = 0; dr < f; dr++) {
          const rowStart = (r * f + dr) * patchCols + c * f;
          for (let dc = 0; dc < f; dc++) sum += patches[rowStart + dc];
        }
        out[tile * tokensPerTile + r * tokenCols + c] = sum / groupSize;
      }
    }
  });
  return out;
}
