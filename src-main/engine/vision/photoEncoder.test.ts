import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineErrorOf } from '../test/engine-errors';
import { createFamily } from '../families/index';
import { readModelFolder } from '../model/modelFolder';
import { fixtureDir, photo } from '../test/paths';
import { TextTokenizer } from '../text/tokenizer';
import { PhotoEncoder, type EncodedPhoto, type PhotoEncoderOptions } from './photoEncoder';

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

let cached: PhotoEncoder;
let uncached: PhotoEncoder;
let first: EncodedPhoto;

beforeAll(async () => {
  [cached, uncached] = await Promise.all([PhotoEncoder.create(options), PhotoEncoder.create({ ...options, cacheDir: undefined })]);
  first = await cached.encode(CHELSEA);
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
    const again = await cached.encode(CHELSEA);
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
      const encoded = await encoder.encode(photo('coins.png'));
      expect(encoded.attention?.layerCount).toBe(depth);
      // The export holds layers 0..depth-2; the last of them is the penultimate one VTC-CLS scores.
      const captured = Array.from({ length: depth - 1 }, (_, i) => i);
      const patches = encoded.layout.patchRows * encoded.layout.patchCols;
      for (const kind of ['cls', 'received'] as const) {
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
