// Crop budget: a tiling model (SmolVLM) cuts a photo into rows x cols crops plus a global view and encodes every
// one, and on a CPU the encoder is most of a first question's time. Pruning tokens after the encoder cannot save
// that; encoding fewer crops can. 'attention' encodes the global view first and keeps the crops whose region its
// attention weighs most; 'downsample' is the plain baseline (VTC-Bench's advice): a smaller resize that cuts
// fewer crops. Pure functions; the photo encoder runs them.
import type { TokenGrid } from '../../../src-shared/api';
import { EngineError } from '../errors';
import type { PhotoLayout } from '../families/family';

export type CropSelection = 'attention' | 'downsample';
export const CROP_SELECTIONS: readonly CropSelection[] = ['attention', 'downsample'];

export interface CropBudget {
  /** Share of the crops to encode, in (0, 1]; the global view is always encoded. */
  fraction: number;
  select: CropSelection;
}

export function checkCropBudget(budget: CropBudget): CropBudget {
  const { fraction, select } = budget;
  if (!(Number.isFinite(fraction) && fraction > 0 && fraction <= 1)) {
    throw new EngineError('BAD_ARGUMENT', `a crop budget is a fraction in (0, 1], got ${fraction}`);
  }
  if (!CROP_SELECTIONS.includes(select)) {
    throw new EngineError('BAD_ARGUMENT', `crop selection must be one of ${CROP_SELECTIONS.join(', ')}, got '${String(select)}'`);
  }
  return budget;
}

/** Crops kept of `crops` at `fraction`: rounded, and at least one (a crop budget never leaves the global view alone). */
export function cropsToKeep(fraction: number, crops: number): number {
  return Math.min(crops, Math.max(1, Math.round(fraction * crops)));
}

type TileRect = Pick<TokenGrid['tiles'][number], 'x' | 'y' | 'width' | 'height'>;

/**
 * Importance of each crop: the sum of the global view's patch scores over the patches whose centre lies in the
 * crop's rectangle (both in fractions of the photo, which the global view covers whole).
 */
export function cropImportance(globalScores: Float32Array, patchRows: number, patchCols: number, crops: TileRect[]): Float64Array {
  if (globalScores.length !== patchRows * patchCols) {
    throw new EngineError('MODEL_MISMATCH', `the global view has ${globalScores.length} patch scores, not ${patchRows} x ${patchCols}`);
  }
  const importance = new Float64Array(crops.length);
  for (let r = 0; r < patchRows; r++) {
    const y = (r + 0.5) / patchRows;
    for (let c = 0; c < patchCols; c++) {
      const x = (c + 0.5) / patchCols;
      const crop = crops.findIndex((t) => x >= t.x && x < t.x + t.width && y >= t.y && y < t.y + t.height);
      if (crop >= 0) importance[crop] += globalScores[r * patchCols + c];
    }
  }
  return importance;
}

/** The `k` most important crops, in their own (row-major) order; ties go to the earlier crop. */
export function topCrops(importance: Float64Array, k: number): number[] {
  const order = Array.from(importance.keys()).sort((a, b) => importance[b] - importance[a] || a - b);
  return order.slice(0, k).sort((a, b) => a - b);
}

/** The layout of the photo with only the `kept` crops (indices into the rows x cols crops) and the global view. */
export function keepCrops(layout: PhotoLayout, kept: number[]): PhotoLayout {
  const crops = layout.rows * layout.cols;
  if (layout.tiles !== crops + 1)
    throw new EngineError(
      'MODEL_MISMATCH',
      `a layout of ${layout.tiles} tiles is not ${layout.rows} x ${layout.cols} crops + a global view`,
    );
  const tiles = [...kept.map((i) => layout.grid.tiles[i]), layout.grid.tiles[crops]];
  return { ...layout, tiles: kept.length + 1, grid: { tiles }, keptCrops: kept };
}
