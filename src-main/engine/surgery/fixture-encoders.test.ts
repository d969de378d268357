// The tiny SigLIP / CLIP / SmolVLM encoders exported by torch (models/fixtures), instrumented.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Tensor } from 'onnxruntime-node';
import { instrumentVisionEncoder } from './instrument-vision-encoder';
import type { AttentionKind } from '../pruning/types';
import { FIXTURE_GRAPHS, TINY_SMOLVLM_VISION } from '../test/surgery/graph-paths';
import { clsByHand, maxAbsDifference, rawProbabilities, receivedByHand, runOutputs } from '../test/surgery/reductions';

const dir = mkdtempSync(join(tmpdir(), 'surgery-fixtures-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const cacheDir = join(dir, 'cache');

const pixels = (dims: number[]) => {
  const length = dims.reduce((a, b) => a * b, 1);
  return new Tensor(
    'float32',
    Float32Array.from({ length }, (_, i) => Math.sin(i * 0.37) * Math.cos(i * 0.011)),
    dims,
  );
};
const feeds = () => ({ pixel_values: pixels([3, 3, 64, 64]) });

async function scores(onnxPath: string, kind: AttentionKind, clsToken: boolean) {
  const encoder = await instrumentVisionEncoder({ onnxPath, layers: 'all', kinds: [kind], clsToken, cacheDir });
  return { encoder, out: await runOutputs(encoder, feeds(), encoder.outputNames) };
}

const pairs = [
  {
    name: 'SigLIP (no [CLS])',
    unfused: FIXTURE_GRAPHS.siglipUnfused,
    fused: FIXTURE_GRAPHS.siglipFused,
    layers: 2,
    kind: 'received',
    clsToken: false,
  },
  {
    name: 'CLIP ([CLS] first)',
    unfused: FIXTURE_GRAPHS.clipUnfused,
    fused: FIXTURE_GRAPHS.clipFused,
    layers: 3,
    kind: 'cls',
    clsToken: true,
  },
  {
    name: 'CLIP ([CLS] first)',
    unfused: FIXTURE_GRAPHS.clipUnfused,
    fused: FIXTURE_GRAPHS.clipFused,
    layers: 3,
    kind: 'received',
    clsToken: true,
  },
] as const;

describe.each(pairs)('$name twins, $kind scores', ({ unfused, fused, layers, kind, clsToken }) => {
  it('the eager export gives the hand reduction of its Softmax outputs, one score per patch', async () => {
    const raw = await rawProbabilities(unfused, feeds(), dir);
    const { encoder, out } = await scores(unfused, kind, clsToken);
    expect(encoder.layerCount).toBe(layers);
    out.forEach((layer, i) => {
      expect(layer.dims).toEqual([3, 16]);
      expect(maxAbsDifference(layer, kind === 'cls' ? clsByHand(raw[i]) : receivedByHand(raw[i], clsToken))).toBeLessThan(1e-6);
    });
  });

  it('the MultiHeadAttention export gives the same scores', async () => {
    const [expected, actual] = [(await scores(unfused, kind, clsToken)).out, (await scores(fused, kind, clsToken)).out];
    expect(actual).toHaveLength(layers);
    actual.forEach((layer, i) => expect(maxAbsDifference(layer, expected[i].data as Float32Array)).toBeLessThan(1e-5));
  });
});

describe('tiny SmolVLM vision encoder (5-D pixel_values, padded patches masked as keys)', () => {
  it('scores every tile; a padded patch receives no attention', async () => {
    const encoder = await instrumentVisionEncoder({
      onnxPath: TINY_SMOLVLM_VISION,
      layers: 'all',
      kinds: ['received'],
      clsToken: false,
      cacheDir,
    });
    expect(encoder.layerCount).toBe(2);
    // Two 256 px tiles (16 x 16 patches); in the second, only the top half of the rows is real.
    const side = 256;
    const mask = new Uint8Array(2 * side * side).fill(1);
    mask.fill(0, side * side + (side * side) / 2);
    const out = await runOutputs(
      encoder,
      { pixel_values: pixels([1, 2, 3, side, side]), pixel_attention_mask: new Tensor('bool', mask, [1, 2, side, side]) },
      encoder.outputNames,
    );
    for (const layer of out) {
      expect(layer.dims).toEqual([2, 256]);
      const [full, padded] = [0, 1].map((t) => Array.from(layer.data as Float32Array).slice(t * 256, (t + 1) * 256));
      expect(full.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      expect(full.every((v) => v > 0)).toBe(true);
      expect(padded.slice(0, 128).every((v) => v > 0)).toBe(true);
      expect(padded.slice(128)).toEqual(new Array(128).fill(0));
    }
  });
});
