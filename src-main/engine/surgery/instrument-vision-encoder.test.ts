import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Tensor } from 'onnxruntime-node';
import { sha256File } from '../storage/file-hash';
import { findStructuralProblems } from './graph-structure';
import { instrumentVisionEncoder, type InstrumentedEncoder } from './instrument-vision-encoder';
import { readOnnxModel } from './onnx-model-file';
import type { AttentionKind } from '../pruning/types';
import { GEMMA3_VISION, TINY_VIT, TINY_VIT_SHAPE } from '../test/surgery/graph-paths';
import { clsByHand, maxAbsDifference, rawProbabilities, receivedByHand, runOutputs } from '../test/surgery/reductions';

const dir = mkdtempSync(join(tmpdir(), 'surgery-instrument-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const cacheDir = join(dir, 'cache');
const { tokens, heads, layers: LAYERS, patches, patchDim } = TINY_VIT_SHAPE;
const BATCH = 2;

const input = () => ({
  patches: new Tensor(
    'float32',
    Float32Array.from({ length: BATCH * patches * patchDim }, (_, i) => Math.sin(i * 1.3) + 0.3 * Math.cos(i * 0.7)),
    [BATCH, patches, patchDim],
  ),
});

const run = (encoder: Pick<InstrumentedEncoder, 'path' | 'externalDataDir'>, names: string[]) => runOutputs(encoder, input(), names);

// TINY_VIT puts a [CLS] token first; received kind is also run as if it had none, to check all tokens.
const CLS = { kinds: ['cls'], clsToken: true } as const;
const RECEIVED = { kinds: ['received'], clsToken: false } as const;

async function scores(onnxPath: string, kind: AttentionKind, layers: number[] | 'all' = 'all') {
  const encoder = await instrumentVisionEncoder({ onnxPath, layers, ...(kind === 'cls' ? CLS : RECEIVED), cacheDir });
  return run(encoder, encoder.outputNames);
}

function expectClose(actual: Tensor, expected: ArrayLike<number>, tolerance: number): void {
  expect(maxAbsDifference(actual, expected)).toBeLessThan(tolerance);
}

describe('instrumentVisionEncoder on eager (MatMul, Softmax, MatMul) attention', () => {
  it('outputs, per layer, the [CLS] row averaged over heads without the [CLS] column, as computed by hand', async () => {
    const raw = await rawProbabilities(TINY_VIT.unfused, input(), dir);
    expect(raw[0].dims).toEqual([BATCH, heads, tokens, tokens]);
    const out = await scores(TINY_VIT.unfused, 'cls');
    expect(out).toHaveLength(LAYERS);
    out.forEach((scoresOfLayer, layer) => {
      expect(scoresOfLayer.type).toBe('float32');
      expect(scoresOfLayer.dims).toEqual([BATCH, tokens - 1]);
      expectClose(scoresOfLayer, clsByHand(raw[layer]), 1e-6);
    });
  });

  it('outputs, per layer, the attention each token receives, averaged over heads and queries, as computed by hand', async () => {
    const raw = await rawProbabilities(TINY_VIT.unfused, input(), dir);
    const out = await scores(TINY_VIT.unfused, 'received');
    out.forEach((scoresOfLayer, layer) => {
      expect(scoresOfLayer.dims).toEqual([BATCH, tokens]);
      expectClose(scoresOfLayer, receivedByHand(raw[layer]), 1e-6);
    });
    // Every query row sums to 1, so the received scores of an image sum to 1 too.
    const sum = Array.from(out[0].data as Float32Array)
      .slice(0, tokens)
      .reduce((a, b) => a + b, 0);
    expect(sum).toBeCloseTo(1, 5);
  });

  it('gives both kinds from one graph; with a [CLS] token, received drops its column', async () => {
    const raw = await rawProbabilities(TINY_VIT.unfused, input(), dir);
    const encoder = await instrumentVisionEncoder({
      onnxPath: TINY_VIT.unfused,
      layers: [0, 2],
      kinds: ['received', 'cls'],
      clsToken: true,
      cacheDir,
    });
    expect(encoder.outputNames).toEqual(['attn_cls.0', 'attn_received.0', 'attn_cls.2', 'attn_received.2']);
    const out = await run(encoder, encoder.outputNames);
    for (const [i, layer] of [0, 0, 2, 2].entries()) {
      expect(out[i].dims).toEqual([BATCH, tokens - 1]);
      const byHand = i % 2 === 0 ? clsByHand(raw[layer]) : receivedByHand(raw[layer], true);
      expectClose(out[i], byHand, 1e-6);
    }
  });

  it('instruments only the chosen layers, with the same scores as when all are instrumented', async () => {
    const encoder = await instrumentVisionEncoder({ onnxPath: TINY_VIT.unfused, layers: [2, 0, 2], ...CLS, cacheDir });
    expect(encoder).toMatchObject({ layers: [0, 2], outputNames: ['attn_cls.0', 'attn_cls.2'], layerCount: LAYERS });
    const [first, last] = await run(encoder, encoder.outputNames);
    const all = await scores(TINY_VIT.unfused, 'cls');
    expect(Array.from(first.data as Float32Array)).toEqual(Array.from(all[0].data as Float32Array));
    expect(Array.from(last.data as Float32Array)).toEqual(Array.from(all[2].data as Float32Array));
  });

  it('leaves the real output untouched', async () => {
    const encoder = await instrumentVisionEncoder({ onnxPath: TINY_VIT.unfused, layers: 'all', ...CLS, cacheDir });
    const [instrumented] = await run(encoder, ['features']);
    const [original] = await run({ path: TINY_VIT.unfused, externalDataDir: dirname(TINY_VIT.unfused) }, ['features']);
    expect(Array.from(instrumented.data as Float32Array)).toEqual(Array.from(original.data as Float32Array));
  });
});

describe('instrumentVisionEncoder on fused attention (same weights)', () => {
  const fused = [
    ['MultiHeadAttention', TINY_VIT.multiHeadAttention],
    ['MultiHeadAttention, weights in .onnx_data', TINY_VIT.multiHeadAttentionExternal],
    ['packed com.microsoft:Attention', TINY_VIT.packedAttention],
  ] as const;

  for (const [label, path] of fused) {
    for (const kind of ['cls', 'received'] as const) {
      it(`${label}: recomputed ${kind} scores equal the unfused export's`, async () => {
        const [expected, actual] = [await scores(TINY_VIT.unfused, kind), await scores(path, kind)];
        expect(actual).toHaveLength(LAYERS);
        actual.forEach((layer, i) => {
          expect(layer.dims).toEqual(expected[i].dims);
          expectClose(layer, expected[i].data as Float32Array, 1e-5);
        });
      });
    }
  }

  it('keeps the fused node for the real output', async () => {
    const encoder = await instrumentVisionEncoder({ onnxPath: TINY_VIT.multiHeadAttention, layers: 'all', ...CLS, cacheDir });
    const instrumented = readOnnxModel(encoder.path);
    expect(instrumented.graph.nodes.filter((n) => n.opType === 'MultiHeadAttention')).toHaveLength(LAYERS);
    const [features] = await run(encoder, ['features']);
    const [unfused] = await run({ path: TINY_VIT.unfused, externalDataDir: dirname(TINY_VIT.unfused) }, ['features']);
    expectClose(features, unfused.data as Float32Array, 1e-4);
  });
});

describe('instrumentVisionEncoder on the real Gemma 3 vision export (graph only, no weights)', () => {
  for (const [variant, path] of Object.entries(GEMMA3_VISION)) {
    it(`${variant}: all 27 layers give a structurally valid graph that still points at the original weights`, async () => {
      const encoder = await instrumentVisionEncoder({ onnxPath: path, layers: 'all', ...RECEIVED, cacheDir });
      const expectedNames = Array.from({ length: 27 }, (_, i) => `attn_received.${i}`);
      expect(encoder).toMatchObject({ layerCount: 27, outputNames: expectedNames, externalDataDir: dirname(path) });

      const source = readOnnxModel(path);
      const instrumented = readOnnxModel(encoder.path);
      expect(findStructuralProblems(instrumented.graph)).toEqual([]);
      expect(instrumented.graph.outputs.map((o) => o.name)).toEqual(['image_features', ...expectedNames]);
      expect(instrumented.graph.nodes.slice(0, source.graph.nodes.length)).toEqual(source.graph.nodes);
      expect(instrumented.graph.valueInfo).toEqual(source.graph.valueInfo);
      expect(instrumented.graph.initializers.map((e) => e.tensor)).toEqual(source.graph.initializers.map((e) => e.tensor));
      expect(instrumented.opsets).toEqual(source.opsets);

      const added = instrumented.graph.nodes.slice(source.graph.nodes.length);
      // Each side branch starts from its MultiHeadAttention's own query and key.
      for (let layer = 0; layer < 27; layer++) {
        for (const projection of ['q_proj', 'k_proj']) {
          expect(added.some((n) => n.input[0] === `/model/layers.${layer}/attn/${projection}/Add/output_0`)).toBe(true);
        }
      }
      // Opset 21: ReduceMean takes its axes as an input.
      const reduceMeans = added.filter((n) => n.opType === 'ReduceMean');
      expect(reduceMeans).toHaveLength(27);
      expect(reduceMeans.every((n) => n.input.length === 2 && n.attribute.every((a) => a.name !== 'axes'))).toBe(true);
      expect(added.filter((n) => n.opType === 'Softmax')).toHaveLength(27);
      expect(statSync(encoder.path).size).toBeLessThan(2 * statSync(path).size);
    });
  }

  it('writes ReduceMean axes as an attribute before opset 18', async () => {
    const encoder = await instrumentVisionEncoder({ onnxPath: TINY_VIT.unfused, layers: 'all', ...RECEIVED, cacheDir });
    const reduceMeans = readOnnxModel(encoder.path).graph.nodes.filter((n) => n.opType === 'ReduceMean');
    expect(reduceMeans.map((n) => [n.input.length, n.attribute.find((a) => a.name === 'axes')?.ints])).toEqual([
      [1, [1, 2]],
      [1, [1, 2]],
      [1, [1, 2]],
    ]);
  });
});

describe('instrumentVisionEncoder cache and weights', () => {
  it('writes a small graph named by the source hash, kind and layers, and reuses it', async () => {
    const ownCache = join(dir, 'own-cache');
    const first = await instrumentVisionEncoder({ onnxPath: TINY_VIT.unfused, layers: [1], ...CLS, cacheDir: ownCache });
    expect(first.fromCache).toBe(false);
    expect(first.path).toMatch(/[/\\][0-9a-f]{64}-cls-with-cls-1-b2\.onnx$/);
    expect(first.sourceSha256).toBe(await sha256File(TINY_VIT.unfused));
    expect(statSync(first.path).size).toBeLessThan(statSync(TINY_VIT.unfused).size / 5);
    const written = statSync(first.path).mtimeMs;

    const second = await instrumentVisionEncoder({ onnxPath: TINY_VIT.unfused, layers: [1], ...CLS, cacheDir: ownCache });
    expect(second).toEqual({ ...first, fromCache: true });
    expect(statSync(second.path).mtimeMs).toBe(written);

    const otherKind = await instrumentVisionEncoder({ onnxPath: TINY_VIT.unfused, layers: [1], ...RECEIVED, cacheDir: ownCache });
    expect(otherKind.path).not.toBe(first.path);
    // No temporary files are left behind.
    expect(readdirSync(ownCache).sort()).toEqual([first.path, otherKind.path].map((p) => p.slice(ownCache.length + 1)).sort());
  });

  it('misses the cache when the source file changes, even under the same name', async () => {
    const folder = join(dir, 'replaced');
    mkdirSync(folder);
    const onnxPath = join(folder, 'vision_encoder.onnx');
    const ownCache = join(folder, 'cache');
    copyFileSync(TINY_VIT.unfused, onnxPath);
    const before = await instrumentVisionEncoder({ onnxPath, layers: 'all', ...CLS, cacheDir: ownCache });
    copyFileSync(TINY_VIT.packedAttention, onnxPath);
    const after = await instrumentVisionEncoder({ onnxPath, layers: 'all', ...CLS, cacheDir: ownCache });
    expect(after.fromCache).toBe(false);
    expect(after.path).not.toBe(before.path);
  });

  it('resolves every external reference of the instrumented graph inside the source folder', async () => {
    for (const path of [TINY_VIT.unfused, TINY_VIT.multiHeadAttentionExternal]) {
      const encoder = await instrumentVisionEncoder({ onnxPath: path, layers: 'all', ...CLS, cacheDir });
      const external = readOnnxModel(encoder.path).graph.initializers.filter((e) => e.tensor.dataLocation === 1);
      expect(external.length).toBeGreaterThan(0);
      for (const { tensor } of external) {
        const ref = Object.fromEntries(tensor.externalData!.map((e) => [e.key, e.value]));
        const target = join(encoder.externalDataDir, ref.location);
        expect(Number(ref.offset) + Number(ref.length)).toBeLessThanOrEqual(statSync(target).size);
      }
    }
  });
});

describe('instrumentVisionEncoder errors', () => {
  it('names the op, the node and the layer it cannot instrument', async () => {
    await expect(
      instrumentVisionEncoder({ onnxPath: TINY_VIT.groupQueryAttention, layers: 'all', ...RECEIVED, cacheDir }),
    ).rejects.toMatchObject({
      code: 'GRAPH_NOT_INSTRUMENTABLE',
      message: expect.stringMatching(/layer 1: com\.microsoft:GroupQueryAttention node "l1\.ctx_node"/),
    });
    await expect(instrumentVisionEncoder({ onnxPath: TINY_VIT.softmaxOverHeads, layers: [0], ...CLS, cacheDir })).rejects.toMatchObject({
      code: 'GRAPH_NOT_INSTRUMENTABLE',
      message: expect.stringMatching(/layer 0: Softmax node "l0\.probs_node": it normalises over axis 1/),
    });
  });

  it('still instruments the layers it can read in such a graph', async () => {
    const encoder = await instrumentVisionEncoder({ onnxPath: TINY_VIT.groupQueryAttention, layers: [0, 2], ...RECEIVED, cacheDir });
    expect(encoder).toMatchObject({ layerCount: 3, outputNames: ['attn_received.0', 'attn_received.2'] });
    expect(findStructuralProblems(readOnnxModel(encoder.path).graph)).toEqual([]);
  });

  it('says when a graph has no attention at all', async () => {
    await expect(instrumentVisionEncoder({ onnxPath: TINY_VIT.noAttention, layers: 'all', ...CLS, cacheDir })).rejects.toMatchObject({
      code: 'GRAPH_NOT_INSTRUMENTABLE',
      message: expect.stringContaining('has no attention layers'),
    });
  });

  it('refuses to instrument an instrumented graph', async () => {
    const encoder = await instrumentVisionEncoder({ onnxPath: TINY_VIT.unfused, layers: 'all', ...CLS, cacheDir });
    const again = join(dir, 'again');
    mkdirSync(again);
    copyFileSync(encoder.path, join(again, 'instrumented.onnx'));
    await expect(
      instrumentVisionEncoder({ onnxPath: join(again, 'instrumented.onnx'), layers: 'all', ...CLS, cacheDir }),
    ).rejects.toMatchObject({
      code: 'GRAPH_NOT_INSTRUMENTABLE',
      message: expect.stringContaining('is it an instrumented graph?'),
    });
  });

  it('rejects bad layer choices, kinds and files with specific errors', async () => {
    const base = { onnxPath: TINY_VIT.unfused, ...CLS, cacheDir };
    await expect(instrumentVisionEncoder({ ...base, layers: [3] })).rejects.toMatchObject({
      code: 'BAD_ARGUMENT',
      message: expect.stringMatching(/^Layer 3 does not exist: .*vit-unfused-opset14\.onnx has 3 attention layers \(0\.\.2\)\.$/),
    });
    await expect(instrumentVisionEncoder({ ...base, layers: [] })).rejects.toMatchObject({ code: 'BAD_ARGUMENT' });
    await expect(instrumentVisionEncoder({ ...base, layers: [-1] })).rejects.toMatchObject({
      code: 'BAD_ARGUMENT',
      message: 'Layer -1 is not a layer index (0, 1, 2, ...).',
    });
    await expect(instrumentVisionEncoder({ ...base, layers: [0], kinds: ['mean' as AttentionKind] })).rejects.toMatchObject({
      code: 'BAD_ARGUMENT',
      message: 'Unknown attention kind "mean": use cls or received.',
    });
    await expect(instrumentVisionEncoder({ ...base, layers: [0], kinds: [] })).rejects.toMatchObject({ code: 'BAD_ARGUMENT' });
    await expect(instrumentVisionEncoder({ ...base, layers: [0], clsToken: false })).rejects.toMatchObject({
      code: 'BAD_ARGUMENT',
      message: 'The cls attention kind needs an encoder with a [CLS] token.',
    });
    await expect(instrumentVisionEncoder({ ...base, layers: [0], onnxPath: join(dir, 'absent.onnx') })).rejects.toMatchObject({
      code: 'FILE_NOT_FOUND',
    });
    const notOnnx = join(dir, 'photo.onnx');
    writeFileSync(notOnnx, Buffer.from('\xff\xd8\xff\xe0 this is a JPEG, not a model', 'latin1'));
    await expect(instrumentVisionEncoder({ ...base, layers: [0], onnxPath: notOnnx })).rejects.toMatchObject({ code: 'MODEL_INCOMPLETE' });
  });
});
