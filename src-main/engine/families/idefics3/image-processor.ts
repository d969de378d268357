// Idefics3 / SmolVLM image processing, step for step as the reference (transformers.js Idefics3ImageProcessor):
// resize so the longest edge is `size.longest_edge` (Lanczos, 8-bit), rescale + normalize, stretch to multiples
// of the tile size (bilinear on floats), cut into rows x cols tiles, and append the whole image squeezed to one
// tile as the last "global" view. Everything after the Lanczos resize runs as one onnxruntime graph (pixel-graph.ts).
import type { TokenGrid } from '../../../../src-shared/api';
import type { RgbImage } from '../../image/decode-image';
import { resizeLanczos } from '../../image/resize';
import type { Json } from '../../model/read-model-folder';
import { PixelGraph } from './pixel-graph';

export interface Idefics3ImageSettings {
  longestEdge: number;
  tileSize: number;
  doResize: boolean;
  doSplit: boolean;
  rescale: number;
  mean: number[];
  std: number[];
}

export function idefics3ImageSettings(pre: Json): Idefics3ImageSettings {
  const triple = (v: unknown, fallback: number): number[] =>
    Array.isArray(v) ? v.map(Number) : [0, 0, 0].map(() => (typeof v === 'number' ? v : fallback));
  return {
    longestEdge: pre.size?.longest_edge ?? 4 * 364,
    tileSize: pre.max_image_size?.longest_edge ?? 364,
    doResize: pre.do_resize ?? true,
    doSplit: pre.do_image_splitting ?? true,
    rescale: pre.do_rescale === false ? 1 : (pre.rescale_factor ?? 1 / 255),
    mean: pre.do_normalize === false ? [0, 0, 0] : triple(pre.image_mean, 0.5),
    std: pre.do_normalize === false ? [1, 1, 1] : triple(pre.image_std, 0.5),
  };
}

export interface Idefics3Pixels {
  /** [tiles, 3, tileSize, tileSize], row-major tiles first, global view last. */
  pixelValues: Float32Array;
  tiles: number;
  /** 0 and 0 when the image was not split (a single global view). */
  rows: number;
  cols: number;
  tileSize: number;
  grid: Omit<TokenGrid['tiles'][number], 'rows' | 'cols'>[];
}

/**
 * Target size keeping the aspect ratio with the longest edge at `longestEdge` (up or down), as the reference.
 * A very thin strip keeps a side of at least 1 px (as transformers' min_len), where 0 would fail to resize.
 */
export function longestEdgeSize(width: number, height: number, longestEdge: number): [number, number] {
  const factor = Math.min(longestEdge / width, longestEdge / height);
  const side = (v: number) => Math.max(1, Math.floor(Number((v * factor).toFixed(2))));
  return [side(width), side(height)];
}

/** Stretches both sides up to multiples of the tile size (at least one), deriving the short side from the aspect ratio. */
export function tileAlignedSize(width: number, height: number, tile: number): [number, number] {
  const aspect = width / height;
  const tiles = (v: number) => Math.max(tile, Math.ceil(v / tile) * tile);
  if (width >= height) {
    const w = tiles(width);
    return [w, tiles(Math.floor(w / aspect))];
  }
  const h = tiles(height);
  return [tiles(Math.floor(h * aspect)), h];
}

const pixelGraph = new PixelGraph();

/** Crops (rows x cols, 0 for a single view) the processor cuts a width x height photo into at `longestEdge`. */
export function cropCount(
  width: number,
  height: number,
  s: Pick<Idefics3ImageSettings, 'tileSize' | 'doResize'>,
  longestEdge: number,
): number {
  const [rw, rh] = s.doResize ? longestEdgeSize(width, height, longestEdge) : [width, height];
  const [W, H] = tileAlignedSize(rw, rh, s.tileSize);
  return H <= s.tileSize && W <= s.tileSize ? 0 : (W / s.tileSize) * (H / s.tileSize);
}

/**
 * The downsampling baseline of a crop budget: the longest edge, stepping down a tile at a time from the
 * configured one, at which the photo gives at most `fraction` of its crops (rounded, at least one); at the least a
 * tile's edge, where the photo is a single view without crops.
 */
export function downsampledEdge(width: number, height: number, s: Idefics3ImageSettings, fraction: number): number {
  const full = cropCount(width, height, s, s.longestEdge);
  const target = Math.max(1, Math.round(fraction * full));
  let edge = s.longestEdge;
  while (edge > s.tileSize && cropCount(width, height, s, edge) > target) edge -= s.tileSize;
  return edge;
}

export async function preprocessIdefics3(image: RgbImage, s: Idefics3ImageSettings): Promise<Idefics3Pixels> {
  const [rw, rh] = s.doResize ? longestEdgeSize(image.width, image.height, s.longestEdge) : [image.width, image.height];
  const resized = await resizeLanczos(image, rw, rh);
  const T = s.tileSize;
  const [W, H] = s.doSplit ? tileAlignedSize(rw, rh, T) : [T, T];
  const rows = H / T;
  const cols = W / T;
  const pixels = await pixelGraph.run(resized, s, { height: H, width: W, rows, cols, tileSize: T });
  if (rows * cols === 1) {
    // A single view: the image stretched (or, unsplit, squeezed) to one tile, without the global view of it.
    return {
      pixelValues: pixels.slice(0, 3 * T * T),
      tiles: 1,
      rows: 0,
      cols: 0,
      tileSize: T,
      grid: [{ x: 0, y: 0, width: 1, height: 1, global: true }],
    };
  }
  const grid: Idefics3Pixels['grid'] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) grid.push({ x: (c * T) / W, y: (r * T) / H, width: T / W, height: T / H, global: false });
  }
  grid.push({ x: 0, y: 0, width: 1, height: 1, global: true });
  return { pixelValues: pixels, tiles: rows * cols + 1, rows, cols, tileSize: T, grid };
}
