import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineErrorOf } from '../test/engine-errors';
import { createFamily } from '../families';
import { readModelFolder } from '../model/read-model-folder';
import { fixtureDir, photo } from '../test/paths';
import { TextTokenizer } from '../text/tokenizer';

function maxAbsDifference(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}
import type { ScorerNeeds } from '../pruning/types';
import { PhotoEncoder, type EncodedPhoto, type PhotoEncoderOptions } from './photo-encoder';

const tmp = mkdtempSync(join(tmpdir(), 'vtc-photo-encoder-'));
const folder = readModelFolder(fixtureDir('tiny-smolvlm'));
const family = createFamily(folder, new TextTokenizer(folder.tokenizerJson, folder.tokenizerConfig));
const options: PhotoEncoderOptions = {
  folder,
  family,
  variant: 'fp32',
  settings: { ep: 'cpu', threads: 1 },
  graphCacheDir: join(tmp, 'graphs'),
  cacheDir: join(tmp, 'photos'),
};
const CHELSEA = photo('chelsea.png');
const TILES = 13;
// The fixture's SigLIP has 2 layers.
const RECEIVED_BOTH: ScorerNeeds = { kind: 'received', layers: [0, 1] };

let cached: PhotoEncoder;
let uncached: PhotoEncoder;
let first: EncodedPhoto;

beforeAll(async () => {
  [cached, uncached] = await Promise.all([PhotoEncoder.create(options), PhotoEncoder.create({ ...options, cacheDir: undefined })]);
  first = await cached.encode(CHELSEA, undefined, RECEIVED_BOTH);
});
afterAll(async () => {
  await Promise.all([cached?.dispose(), uncached?.dispose()]);
  rmSync(tmp, { recursive: true, force: true });
});

describe('PhotoEncoder on the SmolVLM fixture', () => {
  it('encodes a photo into 64 features of 32 values per tile', () => {
    expect(first.cached).toBe(false);
    expect(first.layout).toMatchObject({ tiles: TILES, tokensPerTile: 64, rows: 3, cols: 4 });
    expect(first.dim).toBe(32);
    expect(first.features).toHaveLength(TILES * 64 * 32);
    expect(first.visionMs).toBeGreaterThan(0);
  });

  it('also yields the attention each patch receives, per layer and tile, from the instrumented encoder', () => {
    expect(cached.attentionLayerCount).toBe(2);
    const attention = first.attention!;
    expect(Object.keys(attention.byKind)).toEqual(['received']);
    const received = attention.byKind.received!;
    expect([...received.keys()].sort()).toEqual([0, 1]);
    for (const perTile of received.values()) {
      expect(perTile).toHaveLength(TILES);
      for (const scores of perTile) {
        expect(scores).toHaveLength(32 * 32);
        // Softmax rows sum to 1, so their mean over queries and heads does too.
        expect(scores.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
        expect(Math.min(...scores)).toBeGreaterThanOrEqual(0);
      }
    }
  });

  it('takes the second encoding of the same file from the cache, features and attention alike', async () => {
    const again = await cached.encode(CHELSEA, undefined, { kind: 'received', layers: [1] });
    expect([again.cached, again.visionMs]).toEqual([true, 0]);
    expect(again.layout).toEqual(first.layout);
    expect(again.features).toEqual(first.features);
    expect(again.attention!.byKind.received!.get(1)).toEqual(first.attention!.byKind.received!.get(1));
  });

  it('keys the cache by content: a copy under another name hits', async () => {
    const copy = join(tmp, 'renamed.png');
    copyFileSync(CHELSEA, copy);
    expect((await cached.encode(copy)).cached).toBe(true);
  });

  it('runs the encoder every time without a cache folder, with the same result', async () => {
    const fresh = await uncached.encode(CHELSEA);
    expect(fresh.cached).toBe(false);
    expect(fresh.features).toEqual(first.features);
  });

  it('runs the plain graph for a question that reads no attention: same features, no scores', async () => {
    const plain = await uncached.encode(CHELSEA);
    expect(plain.attention).toBeUndefined();
    expect(plain.features).toEqual(first.features);
  });

  it('computes only the layers a method reads, with the scores all layers give', async () => {
    const one = await uncached.encode(CHELSEA, undefined, { kind: 'received', layers: [1] });
    expect([...one.attention!.byKind.received!.keys()]).toEqual([1]);
    expect(one.attention!.byKind.received!.get(1)).toEqual(first.attention!.byKind.received!.get(1));
  });

  it.each([1, 5, TILES])('gives the same features and scores encoding %i tiles per run', async (tilesPerRun) => {
    const encoder = await PhotoEncoder.create({ ...options, cacheDir: undefined, tilesPerRun });
    try {
      const chunked = await encoder.encode(CHELSEA, undefined, RECEIVED_BOTH);
      expect(maxAbsDifference(chunked.features, first.features)).toBeLessThan(1e-5);
      for (const layer of [0, 1]) {
        const [a, b] = [chunked.attention!.byKind.received!.get(layer)!, first.attention!.byKind.received!.get(layer)!];
        expect(a).toHaveLength(TILES);
        a.forEach((scores, tile) => expect(maxAbsDifference(scores, b[tile])).toBeLessThan(1e-6));
      }
    } finally {
      await encoder.dispose();
    }
  });

  it('stops with CANCELLED before the encoder runs when the signal is aborted', async () => {
    const e = await engineErrorOf(uncached.encode(CHELSEA, AbortSignal.abort()));
    expect([e.code, e.message]).toEqual(['CANCELLED', 'generation was cancelled']);
  });

  it('reports a missing photo', async () => {
    const e = await engineErrorOf(cached.encode(join(tmp, 'gone.jpg')));
    expect([e.code, e.message]).toEqual(['FILE_NOT_FOUND', `image not found: ${join(tmp, 'gone.jpg')}`]);
  });
});

describe('PhotoEncoder on a LLaVA export that stops at the penultimate layer', () => {
  it("counts layers by the tower's depth, so the penultimate layer is the graph's last attention layer", async () => {
    const folder = readModelFolder(fixtureDir('tiny-llava'));
    const family = createFamily(folder, new TextTokenizer(folder.tokenizerJson, folder.tokenizerConfig));
    const encoder = await PhotoEncoder.create({
      folder,
      family,
      variant: 'fp32',
      settings: { ep: 'cpu' },
      graphCacheDir: join(tmp, 'llava-graphs'),
    });
    try {
      const depth: number = folder.config.vision_config.num_hidden_layers;
      expect(encoder.attentionLayerCount).toBe(depth);
      // The export holds layers 0..depth-2; the last of them is the penultimate one VTC-CLS scores.
      const captured = Array.from({ length: depth - 1 }, (_, i) => i);
      for (const kind of ['cls', 'received'] as const) {
        const encoded = await encoder.encode(photo('coins.png'), undefined, { kind, layers: captured });
        expect(encoded.attention?.layerCount).toBe(depth);
        const patches = encoded.layout.patchRows * encoded.layout.patchCols;
        const layers = encoded.attention!.byKind[kind]!;
        expect([...layers.keys()].sort()).toEqual(captured);
        // One score per patch: the [CLS] column is dropped in both kinds.
        expect(layers.get(depth - 2)![0]).toHaveLength(patches);
      }
    } finally {
      await encoder.dispose();
    }
  });
});

describe('PhotoEncoder under a crop budget', () => {
  const rows = (photo: EncodedPhoto, tile: number) => photo.features.subarray(tile * 64 * 32, (tile + 1) * 64 * 32);

  it('encodes the global view and the crops its attention weighs most, with the features a full encoding gives them', async () => {
    const half = await uncached.encode(CHELSEA, undefined, undefined, undefined, { fraction: 0.5, select: 'attention' });
    const kept = half.layout.keptCrops!;
    expect(half.layout).toMatchObject({ tiles: 7, rows: 3, cols: 4 });
    expect(kept).toHaveLength(6);
    // The ranking reads the attention the global view's patches receive at the layer `received` reads (layer 0 of 2).
    const globalScores = first.attention!.byKind.received!.get(0)![TILES - 1];
    const byRegion = first.layout.grid.tiles.slice(0, TILES - 1).map((t) => {
      let sum = 0;
      globalScores.forEach((v, i) => {
        const x = ((i % 32) + 0.5) / 32;
        const y = (Math.floor(i / 32) + 0.5) / 32;
        if (x >= t.x && x < t.x + t.width && y >= t.y && y < t.y + t.height) sum += v;
      });
      return sum;
    });
    const weakestKept = Math.min(...kept.map((c) => byRegion[c]));
    const strongestLeft = Math.max(...byRegion.filter((_, c) => !kept.includes(c)));
    expect(weakestKept).toBeGreaterThanOrEqual(strongestLeft);
    expect(half.features).toHaveLength(7 * 64 * 32);
    kept.forEach((crop, i) => expect(maxAbsDifference(rows(half, i), rows(first, crop))).toBeLessThan(1e-5));
    expect(maxAbsDifference(rows(half, 6), rows(first, TILES - 1))).toBeLessThan(1e-5);
    expect(half.layout.grid.tiles.map((t) => t.global)).toEqual([false, false, false, false, false, false, true]);
  });

  it('downsamples instead when asked: fewer crops from a smaller resize', async () => {
    const small = await uncached.encode(CHELSEA, undefined, undefined, undefined, { fraction: 0.5, select: 'downsample' });
    expect(small.layout).toMatchObject({ tiles: 7, rows: 2, cols: 3 });
    expect(small.layout.keptCrops).toBeUndefined();
    expect(small.features).toHaveLength(7 * 64 * 32);
  });

  it('caches a budgeted encoding apart from the full one', async () => {
    const budget = { fraction: 0.25, select: 'attention' } as const;
    const once = await cached.encode(CHELSEA, undefined, undefined, undefined, budget);
    const again = await cached.encode(CHELSEA, undefined, undefined, undefined, budget);
    expect([once.cached, again.cached, once.layout.tiles, again.layout.tiles]).toEqual([false, true, 4, 4]);
    expect(again.layout.keptCrops).toEqual(once.layout.keptCrops);
  });

  it('refuses a budget outside (0, 1]', async () => {
    const error = await engineErrorOf(uncached.encode(CHELSEA, undefined, undefined, undefined, { fraction: 2, select: 'attention' }));
    expect(error.message).toMatch(/fraction in \(0, 1\], got 2/);
  });
});

describe('a crop budget on a model without crops', () => {
  it('is refused by name: LLaVA encodes its one view whole', async () => {
    const llava = readModelFolder(fixtureDir('tiny-llava'));
    const encoder = await PhotoEncoder.create({
      ...options,
      folder: llava,
      family: createFamily(llava, new TextTokenizer(llava.tokenizerJson, llava.tokenizerConfig)),
      cacheDir: undefined,
    });
    try {
      const error = await engineErrorOf(encoder.encode(CHELSEA, undefined, undefined, undefined, { fraction: 0.5, select: 'downsample' }));
      expect(error.message).toBe('a crop budget needs a model that encodes its crops apart (SmolVLM); llava encodes the photo whole');
    } finally {
      await encoder.dispose();
    }
  });
});
