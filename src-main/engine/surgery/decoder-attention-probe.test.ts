import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tensor } from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { engineErrorOf } from '../test/engine-errors';
import { fixtureDir } from '../test/paths';
import { TINY_VIT } from '../test/surgery/graph-paths';
import { decoderAttentionProbe, probeAdditions, PROBE_OUTPUT } from './decoder-attention-probe';
import { createInstrumentedSession } from './instrumented-session';
import { readOnnxModel } from './onnx-model-file';

const DECODER = join(fixtureDir('tiny-llava'), 'onnx', 'decoder_model_merged.onnx');
const cacheDir = mkdtempSync(join(tmpdir(), 'vtc-probe-'));
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

/** The probe of `layer` run on an n-token prompt of fixed pseudo-random embeddings: [heads, n, n] as rows. */
async function probeRows(layer: number, n: number): Promise<{ heads: number; at: (h: number, q: number, k: number) => number }> {
  const probe = await decoderAttentionProbe({ onnxPath: DECODER, cacheDir, layer });
  const session = await createInstrumentedSession(probe);
  const feeds: Record<string, Tensor> = {
    inputs_embeds: new Tensor(
      'float32',
      Float32Array.from({ length: n * 128 }, (_, i) => Math.sin(i * 0.7)),
      [1, n, 128],
    ),
    attention_mask: new Tensor('int64', new BigInt64Array(n).fill(1n), [1, n]),
    position_ids: new Tensor(
      'int64',
      BigInt64Array.from({ length: n }, (_, i) => BigInt(i)),
      [1, n],
    ),
  };
  for (const name of probe.inputs.filter((x) => x.startsWith('past_key_values.'))) {
    feeds[name] = new Tensor('float32', new Float32Array(0), [1, 4, 0, 32]);
  }
  const out = (await session.run(feeds))[PROBE_OUTPUT] as Tensor;
  await session.release();
  const data = out.data as Float32Array;
  expect(out.dims).toEqual([1, 4, n, n]);
  return { heads: out.dims[1], at: (h, q, k) => data[(h * n + q) * n + k] };
}

describe('decoderAttentionProbe', () => {
  it('keeps only what layer K needs: the cache inputs of layers 0..K, no logits, no later layers', async () => {
    const first = await decoderAttentionProbe({ onnxPath: DECODER, cacheDir, layer: 0 });
    expect(first.inputs).toEqual(['inputs_embeds', 'attention_mask', 'position_ids', 'past_key_values.0.key']);
    const second = await decoderAttentionProbe({ onnxPath: DECODER, cacheDir, layer: 1 });
    expect(second.inputs).toContain('past_key_values.1.key');
    expect(second.inputs).not.toContain('past_key_values.2.key');
    const model = readOnnxModel(DECODER);
    const removed = (layer: number) => probeAdditions(model, layer).replacements!.size;
    expect(removed(0)).toBeGreaterThan(removed(1));
    expect(removed(1)).toBeGreaterThan(removed(2));
    expect((await decoderAttentionProbe({ onnxPath: DECODER, cacheDir, layer: 0 })).fromCache).toBe(true);
  });

  it('gives causal attention probabilities: each row sums to 1 over the keys up to its own position', async () => {
    const n = 6;
    for (const layer of [0, 2]) {
      const { heads, at } = await probeRows(layer, n);
      for (let h = 0; h < heads; h++) {
        for (let q = 0; q < n; q++) {
          let sum = 0;
          for (let k = 0; k < n; k++) {
            sum += at(h, q, k);
            if (k > q) expect(at(h, q, k)).toBeLessThan(1e-6);
          }
          expect(sum).toBeCloseTo(1, 5);
        }
      }
    }
  });

  it('reads different attention at different layers, and a prompt prefix sees what the whole prompt sees', async () => {
    const [short, long, other] = [await probeRows(1, 4), await probeRows(1, 7), await probeRows(0, 7)];
    expect(long.at(2, 3, 1)).toBeCloseTo(short.at(2, 3, 1), 5);
    expect(Math.abs(long.at(2, 6, 1) - other.at(2, 6, 1))).toBeGreaterThan(1e-4);
  });

  it('names the layer count and the op it cannot read', async () => {
    const outOfRange = await engineErrorOf(decoderAttentionProbe({ onnxPath: DECODER, cacheDir, layer: 3 }));
    expect([outOfRange.code, outOfRange.message]).toEqual([
      'GRAPH_NOT_INSTRUMENTABLE',
      expect.stringMatching(/cannot read the attention of decoder layer 3: it has 3 attention layers \(0..2\)/),
    ]);
    const fused = await engineErrorOf(decoderAttentionProbe({ onnxPath: TINY_VIT.multiHeadAttention, cacheDir, layer: 0 }));
    expect(fused.message).toMatch(/com\.microsoft:MultiHeadAttention node ".*" fuses it, and the probe reads an eager Softmax only/);
  });
});
