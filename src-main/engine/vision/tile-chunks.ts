// Runs the vision encoder on a photo's tiles a few at a time. The encoder's working memory grows with the tiles
// in one run (SmolVLM-256M's shape, fp32, a 13-tile photo: peak RSS 3.9 GB in one run, 1.3 GB one tile at a
// time); tiles are encoded independently of each other, so running them in chunks gives the same outputs.
import { Tensor, type InferenceSession } from 'onnxruntime-node';
import { EngineError } from '../errors';

export interface TileChunks {
  tiles: number;
  /** Axis of every feed along which the tiles lie; every axis before it has size 1. */
  tileAxis: number;
  tilesPerRun: number;
}

/**
 * The outputs of one run over all tiles. Every output's first axis must be tile-major (each tile's rows
 * together, tiles in order), as image features [tiles * tokens, dim] and score outputs [tiles, tokens] are,
 * so concatenating the chunks' outputs along it gives the single run's.
 */
export async function runInTileChunks(
  session: InferenceSession,
  feeds: Record<string, Tensor>,
  chunks: TileChunks,
  signal?: AbortSignal,
  /** Told the number of tiles encoded so far after each run, for a progress display. */
  onTiles?: (done: number) => void,
): Promise<Record<string, Tensor>> {
  const { tiles, tileAxis, tilesPerRun } = chunks;
  if (!Number.isInteger(tilesPerRun) || tilesPerRun < 1)
    throw new EngineError('BAD_ARGUMENT', `tiles per run must be a whole number of at least 1, got ${tilesPerRun}`);
  if (tiles <= tilesPerRun) {
    const out = (await session.run(feeds)) as Record<string, Tensor>;
    onTiles?.(tiles);
    return out;
  }
  const parts = new Map<string, Tensor[]>();
  for (let start = 0; start < tiles; start += tilesPerRun) {
    if (signal?.aborted) throw new EngineError('CANCELLED', 'generation was cancelled');
    const count = Math.min(tilesPerRun, tiles - start);
    const chunkFeeds = Object.fromEntries(
      Object.entries(feeds).map(([name, t]) => [name, tileSlice(name, t, tileAxis, tiles, start, count)]),
    );
    const out = await session.run(chunkFeeds);
    for (const [name, value] of Object.entries(out)) parts.set(name, [...(parts.get(name) ?? []), value as Tensor]);
    onTiles?.(start + count);
  }
  return Object.fromEntries([...parts].map(([name, list]) => [name, concatFirstAxis(list)]));
}

/** Tiles `start` to `start + count` of one vision feed, as a view. */
export function tileSlice(name: string, t: Tensor, axis: number, tiles: number, start: number, count: number): Tensor {
  if (t.dims[axis] !== tiles || t.dims.slice(0, axis).some((d) => d !== 1)) {
    throw new EngineError(
      'MODEL_MISMATCH',
      `vision input '${name}' [${t.dims.join(', ')}] does not hold ${tiles} tiles along axis ${axis}`,
    );
  }
  const perTile = t.size / tiles;
  const data = (t.data as Float32Array | Uint8Array).subarray(start * perTile, (start + count) * perTile);
  return new Tensor(t.type as 'float32', data as Float32Array, [...t.dims.slice(0, axis), count, ...t.dims.slice(axis + 1)]);
}

/** The feeds of the tiles `indices` alone (in that order), copied: the encoder's input for a subset of the crops. */
export function selectTiles(feeds: Record<string, Tensor>, axis: number, tiles: number, indices: number[]): Record<string, Tensor> {
  return Object.fromEntries(
    Object.entries(feeds).map(([name, t]) => {
      const parts = indices.map((i) => tileSlice(name, t, axis, tiles, i, 1));
      const perTile = t.size / tiles;
      const data = t.type === 'bool' ? new Uint8Array(indices.length * perTile) : new Float32Array(indices.length * perTile);
      parts.forEach((p, k) => data.set(p.data as Float32Array & Uint8Array, k * perTile));
      return [
        name,
        new Tensor(t.type as 'float32', data as Float32Array, [...t.dims.slice(0, axis), indices.length, ...t.dims.slice(axis + 1)]),
      ];
    }),
  );
}

/** Outputs of runs over consecutive groups of tiles, joined as one run over all of them would give them. */
export function concatOutputs(runs: Record<string, Tensor>[]): Record<string, Tensor> {
  return Object.fromEntries(Object.keys(runs[0]).map((name) => [name, concatFirstAxis(runs.map((r) => r[name]))]));
}

function concatFirstAxis(list: Tensor[]): Tensor {
  const [first] = list;
  const data = new Float32Array(list.reduce((n, t) => n + t.size, 0));
  let offset = 0;
  for (const t of list) {
    if (t.type !== 'float32') throw new EngineError('MODEL_MISMATCH', `the vision encoder gave a ${t.type} output; float32 expected`);
    data.set(t.data as Float32Array, offset);
    offset += t.size;
  }
  return new Tensor('float32', data, [list.reduce((n, t) => n + t.dims[0], 0), ...first.dims.slice(1)]);
}
