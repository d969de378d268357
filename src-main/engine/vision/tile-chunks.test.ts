import { describe, expect, it } from 'vitest';
import { Tensor, type InferenceSession } from 'onnxruntime-node';
import { engineErrorOf } from '../test/engine-errors';
import { runInTileChunks } from './tile-chunks';

const TILES = 5;
const PER_TILE = 3;

/** A stand-in encoder: per tile t of pixels [1, n, 3], features [n * 2, 3] (each pixel row twice, scaled) and scores [n, 3]. */
function fakeSession(onRun: (tiles: number) => void = () => {}): InferenceSession {
  return {
    async run(feeds: Record<string, Tensor>) {
      const pixels = feeds.pixels;
      const mask = feeds.mask;
      const n = pixels.dims[1];
      onRun(n);
      const data = pixels.data as Float32Array;
      const features = new Float32Array(n * 2 * PER_TILE);
      for (let t = 0; t < n; t++) {
        for (let i = 0; i < PER_TILE; i++) {
          features[t * 2 * PER_TILE + i] = data[t * PER_TILE + i];
          features[(t * 2 + 1) * PER_TILE + i] = 10 * data[t * PER_TILE + i];
        }
      }
      const scores = Float32Array.from(mask.data as Uint8Array, (v, i) => v + (data[i] ?? 0));
      return { features: new Tensor('float32', features, [n * 2, PER_TILE]), scores: new Tensor('float32', scores, [n, PER_TILE]) };
    },
  } as unknown as InferenceSession;
}

const feeds = () => ({
  pixels: new Tensor(
    'float32',
    Float32Array.from({ length: TILES * PER_TILE }, (_, i) => i + 1),
    [1, TILES, PER_TILE],
  ),
  mask: new Tensor(
    'bool',
    Uint8Array.from({ length: TILES * PER_TILE }, (_, i) => i % 2),
    [1, TILES, PER_TILE],
  ),
});

describe('runInTileChunks', () => {
  it.each([1, 2, 3, 5, 8])('gives the outputs of one run over all tiles with %i tiles per run', async (tilesPerRun) => {
    const whole = await fakeSession().run(feeds());
    const runs: number[] = [];
    const chunked = await runInTileChunks(
      fakeSession((n) => runs.push(n)),
      feeds(),
      { tiles: TILES, tileAxis: 1, tilesPerRun },
    );
    for (const name of ['features', 'scores']) {
      expect(chunked[name].dims).toEqual(whole[name].dims);
      expect(Array.from(chunked[name].data as Float32Array)).toEqual(Array.from(whole[name].data as Float32Array));
    }
    const expectedRuns = Array.from({ length: Math.ceil(TILES / tilesPerRun) }, (_, i) => Math.min(tilesPerRun, TILES - i * tilesPerRun));
    expect(runs).toEqual(expectedRuns);
  });

  it.each([
    [2, [2, 4, 5]],
    [8, [5]],
  ])('reports the tiles encoded so far after each run (%i per run)', async (tilesPerRun, expected) => {
    const done: number[] = [];
    await runInTileChunks(fakeSession(), feeds(), { tiles: TILES, tileAxis: 1, tilesPerRun }, undefined, (n) => done.push(n));
    expect(done).toEqual(expected);
  });

  it('stops with CANCELLED before the next run of tiles once aborted', async () => {
    const controller = new AbortController();
    const runs: number[] = [];
    const session = fakeSession((n) => {
      runs.push(n);
      controller.abort();
    });
    const e = await engineErrorOf(runInTileChunks(session, feeds(), { tiles: TILES, tileAxis: 1, tilesPerRun: 2 }, controller.signal));
    expect([e.code, runs]).toEqual(['CANCELLED', [2]]);
  });

  it('refuses feeds that do not hold the tiles along the axis, and a bad chunk size', async () => {
    const e = await engineErrorOf(runInTileChunks(fakeSession(), feeds(), { tiles: 4, tileAxis: 1, tilesPerRun: 2 }));
    expect([e.code, e.message]).toEqual(['MODEL_MISMATCH', "vision input 'pixels' [1, 5, 3] does not hold 4 tiles along axis 1"]);
    const bad = await engineErrorOf(runInTileChunks(fakeSession(), feeds(), { tiles: TILES, tileAxis: 1, tilesPerRun: 0 }));
    expect([bad.code, bad.message]).toEqual(['BAD_ARGUMENT', 'tiles per run must be a whole number of at least 1, got 0']);
  });
});
