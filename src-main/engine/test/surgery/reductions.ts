// Test support: the score reductions computed by hand from raw attention probabilities, and a way
// to get those probabilities out of a model (exposed as extra outputs in a weightless copy).

import { dirname, join } from 'node:path';
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import { findAttentionLayers } from '../../surgery/find-attention-layers';
import { createInstrumentedSession } from '../../surgery/instrumented-session';
import { readOnnxModel, writeOnnxModel } from '../../surgery/onnx-model-file';
import { DT_FLOAT } from '../../surgery/onnx-proto';

export async function runOutputs(
  encoder: { path: string; externalDataDir: string },
  feeds: InferenceSession.FeedsType,
  names: string[],
): Promise<Tensor[]> {
  const session = await createInstrumentedSession(encoder, { intraOpNumThreads: 1 });
  const out = await session.run(feeds);
  await session.release();
  return names.map((name) => out[name] as Tensor);
}

/** Every eager layer's Softmax output [batch, heads, queries, keys], from a copy written into `workDir`. */
export async function rawProbabilities(onnxPath: string, feeds: InferenceSession.FeedsType, workDir: string): Promise<Tensor[]> {
  const model = readOnnxModel(onnxPath);
  const names = findAttentionLayers(model.graph, model.opsets.get('') ?? 0).map((l) => {
    if (l.kind !== 'softmax') throw new Error(`layer ${l.layer} of ${onnxPath} is not eager attention`);
    return l.probabilities;
  });
  const exposed = join(workDir, `exposed-${Math.random().toString(36).slice(2)}.onnx`);
  writeOnnxModel(model, { nodes: [], outputs: names.map((name) => ({ name, type: { tensorType: { elemType: DT_FLOAT } } })) }, exposed);
  return runOutputs({ path: exposed, externalDataDir: dirname(onnxPath) }, feeds, names);
}

/** p [B, H, S, S] -> the [CLS] row (query 0) averaged over heads, [CLS] column dropped: [B, S - 1]. */
export function clsByHand(p: Tensor): number[] {
  const [b, h, s] = p.dims;
  const data = p.data as Float32Array;
  const out: number[] = [];
  for (let i = 0; i < b; i++) {
    for (let key = 1; key < s; key++) {
      let sum = 0;
      for (let head = 0; head < h; head++) sum += data[(i * h + head) * s * s + key];
      out.push(sum / h);
    }
  }
  return out;
}

/** p [B, H, S, S] -> attention each key receives, averaged over heads and queries: [B, S], or [B, S - 1]
 * without the [CLS] key when token 0 is one. */
export function receivedByHand(p: Tensor, clsToken = false): number[] {
  const [b, h, s] = p.dims;
  const data = p.data as Float32Array;
  const out: number[] = [];
  for (let i = 0; i < b; i++) {
    for (let key = clsToken ? 1 : 0; key < s; key++) {
      let sum = 0;
      for (let head = 0; head < h; head++) for (let query = 0; query < s; query++) sum += data[((i * h + head) * s + query) * s + key];
      out.push(sum / (h * s));
    }
  }
  return out;
}

export function maxAbsDifference(actual: Tensor, expected: ArrayLike<number>): number {
  const values = actual.data as Float32Array;
  if (values.length !== expected.length) throw new Error(`${values.length} values, expected ${expected.length}`);
  let worst = 0;
  for (let i = 0; i < values.length; i++) worst = Math.max(worst, Math.abs(values[i] - expected[i]));
  return worst;
}
