// Where onnxruntime runs the score branches: right after their own layer, so a layer's [batch, heads, tokens,
// tokens] probabilities are released before the next layer makes its own (13 GB held at SmolVLM-256M's size
// when every branch waited for the last layer).
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Tensor } from 'onnxruntime-node';
import { findAttentionLayers } from './find-attention-layers';
import { instrumentVisionEncoder } from './instrument-vision-encoder';
import { createInstrumentedSession } from './instrumented-session';
import { readOnnxModel } from './onnx-model-file';
import { TINY_VIT, TINY_VIT_SHAPE } from '../test/surgery/graph-paths';

const dir = mkdtempSync(join(tmpdir(), 'surgery-order-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Node names in the order onnxruntime ran them, from its profile of one run. */
async function executionOrder(encoder: { path: string; externalDataDir: string }, tag: string): Promise<string[]> {
  const session = await createInstrumentedSession(encoder, {
    intraOpNumThreads: 1,
    enableProfiling: true,
    profileFilePrefix: join(dir, tag),
  });
  const { patches, patchDim } = TINY_VIT_SHAPE;
  await session.run({
    patches: new Tensor(
      'float32',
      Float32Array.from({ length: 2 * patches * patchDim }, (_, i) => Math.sin(i)),
      [2, patches, patchDim],
    ),
  });
  session.endProfiling();
  await session.release();
  const file = readdirSync(dir).find((f) => f.startsWith(tag) && f.endsWith('.json'))!;
  const events = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { cat: string; name: string; ts: number }[];
  return events
    .filter((e) => e.cat === 'Node' && e.name.endsWith('_kernel_time'))
    .sort((a, b) => a.ts - b.ts)
    .map((e) => e.name.slice(0, -'_kernel_time'.length));
}

describe('score branches in the execution order', () => {
  for (const kind of ['cls', 'received'] as const) {
    it(`runs each layer's ${kind} branch before the next layer's Softmax`, async () => {
      const encoder = await instrumentVisionEncoder({
        onnxPath: TINY_VIT.unfused,
        layers: 'all',
        kinds: [kind],
        clsToken: true,
        cacheDir: join(dir, 'cache'),
      });
      const model = readOnnxModel(TINY_VIT.unfused);
      const softmaxes = findAttentionLayers(model.graph, model.opsets.get('') ?? 0).map((l) => l.node.name);
      const order = await executionOrder(encoder, kind);
      for (let layer = 0; layer < TINY_VIT_SHAPE.layers - 1; layer++) {
        const branchEnd = order.indexOf(`attn_${kind}.${layer}`);
        expect(branchEnd).toBeGreaterThan(order.indexOf(softmaxes[layer]));
        expect(branchEnd).toBeLessThan(order.indexOf(softmaxes[layer + 1]));
      }
    });
  }
});
