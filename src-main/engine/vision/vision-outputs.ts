// Reads the vision encoder's outputs: the image features (one row per visual token, whatever the batch/tile
// dims) and, from an instrumented encoder, the per-layer attention summaries `attn_<kind>.<layer>` [views, patches].
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import { EngineError } from '../errors';
import type { AttentionScores } from '../pruning/types';
import { parseScoreOutputName } from '../surgery/score-branches';

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

export function readAttention(out: InferenceSession.OnnxValueMapType, layerCount: number, tiles: number): AttentionScores | undefined {
  const attention: AttentionScores = { layerCount, byKind: {} };
  for (const [name, value] of Object.entries(out)) {
    const output = parseScoreOutputName(name);
    if (!output) continue;
    // One row per view the encoder ran; an encoder may run views that carry no tokens (Phi-3-vision's crops
    // past rows x cols), which come after the tiles and are left out.
    const data = (value as Tensor).data as Float32Array;
    const perTile = data.length / (value as Tensor).dims[0];
    (attention.byKind[output.kind] ??= new Map()).set(
      output.layer,
      Array.from({ length: tiles }, (_, t) => data.slice(t * perTile, (t + 1) * perTile)),
    );
  }
  return Object.keys(attention.byKind).length > 0 ? attention : undefined;
}
