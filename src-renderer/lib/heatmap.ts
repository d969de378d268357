// Maps CompareResult scores/kept/grid to coloured cells over the photo. The drawing (canvas) lives in
// HeatmapOverlay.svelte; everything that can be wrong lives here, where it is tested.
import type { TokenGrid } from '../../src-shared/api';

export type RGB = [number, number, number];

// A dark-to-bright ramp (close to "inferno") so importance reads as brightness even for colour-blind viewers.
const RAMP: RGB[] = [
  [0, 0, 4],
  [87, 16, 110],
  [188, 55, 84],
  [249, 142, 9],
  [252, 255, 164],
];

/** Colour for a normalised importance t in [0, 1] (clamped). */
export function heatColor(t: number): RGB {
  const x = Number.isFinite(t) ? Math.min(1, Math.max(0, t)) : 0;
  const pos = x * (RAMP.length - 1);
  const i = Math.min(RAMP.length - 2, Math.floor(pos));
  const f = pos - i;
  const a = RAMP[i];
  const b = RAMP[i + 1];
  return [0, 1, 2].map((c) => Math.round(a[c] + (b[c] - a[c]) * f)) as RGB;
}

export interface HeatCell {
  /** Token index in the flat visual-token list. */
  index: number;
  /** Rectangle in fractions of the photo's width and height. */
  x: number;
  y: number;
  width: number;
  height: number;
  /** Importance normalised over the cells shown (0 least, 1 most). */
  level: number;
  kept: boolean;
}

/** Which tiles to draw: the local crops (sharper, the default when present) or the global thumbnail view. */
export type HeatmapView = 'crops' | 'global';

export function heatmapCells(grid: TokenGrid, scores: number[], kept: number[], view: HeatmapView): HeatCell[] {
  const tokenCount = grid.tiles.reduce((n, t) => n + t.rows * t.cols, 0);
  if (scores.length !== tokenCount) {
    throw new RangeError(`The grid has ${tokenCount} visual tokens but ${scores.length} scores were given`);
  }
  const keptSet = new Set(kept);
  const hasCrops = grid.tiles.some((t) => !t.global);
  const wantGlobal = view === 'global' || !hasCrops;

  const cells: HeatCell[] = [];
  let offset = 0;
  for (const tile of grid.tiles) {
    if (tile.global === wantGlobal) {
      const cw = tile.width / tile.cols;
      const ch = tile.height / tile.rows;
      for (let r = 0; r < tile.rows; r++) {
        for (let c = 0; c < tile.cols; c++) {
          const index = offset + r * tile.cols + c;
          cells.push({
            index,
            x: tile.x + c * cw,
            y: tile.y + r * ch,
            width: cw,
            height: ch,
            level: scores[index],
            kept: keptSet.has(index),
          });
        }
      }
    }
    offset += tile.rows * tile.cols;
  }
  return normaliseLevels(cells);
}

function normaliseLevels(cells: HeatCell[]): HeatCell[] {
  const finite = cells.map((c) => c.level).filter(Number.isFinite);
  const min = Math.min(...finite);
  const max = Math.max(...finite);
  const span = max - min;
  return cells.map((c) => ({
    ...c,
    level: !Number.isFinite(c.level) ? 0 : span > 0 ? (c.level - min) / span : 1,
  }));
}
