// Reads the vision encoder's outputs: the image features (one row per visual token, whatever the batch/tile
// dims) and, from an instrumented encoder, the per-layer attention summaries `attn_scores.<layer>` [tiles, patches].
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import { EngineError } from '../errors';
import type { AttentionScores } from '../pruning/types';

export interface VisionFeatures {
  /** [tokens, dim], tile-major then raster order. */
  features: Float32Array;
  dim: number;
}

export function readFeatures(out: InferenceSession.OnnxValueMapType, expectedTokens: number): VisionFeatures {
  const t = out.image_features as Tensor | undefined;
  if (!t) throw new EngineError('MODEL_MISMATCH', 'the vision encoder has no image_features output');
  const dim = t.dims[t.dims.length - 1];
  const features = t.data as Float32Array;
  if (features.length !== expectedTokens * dim) {
    throw new EngineError(
      'MODEL_MISMATCH',
      `the vision encoder gave ${features.length / dim} visual tokens where the processor expects ${expectedTokens}`,
    );
  }
  return { features, dim };
}

const SCORE_OUTPUT = /^attn_scores\.(\d+)$/;

export function readAttention(
  out: InferenceSession.OnnxValueMapType,
  kind: AttentionScores['kind'],
  layerCount: number,
  tiles: number,
): AttentionScores | undefined {
  const layers = new Map<number, Float32Array[]>();
  for (const [name, value] of Object.entries(out)) {
    const m = SCORE_OUTPUT.exec(name);
    if (!m) continue;
    const data = (value as Tensor).data as Float32Array;
    const perTile = data.length / tiles;
    layers.set(
      Number(m[1]),
      Array.from({ length: tiles }, (_, t) => data.slice(t * perTile, (t + 1) * perTile)),
    );
  }
  return layers.size > 0 ? { kind, layerCount, layers } : undefined;
}
