// Content hashes for the per-photo cache: a photo is identified by its bytes, not its path, so a
// renamed or re-imported photo still hits, and an edited one misses.
import { createHash } from 'node:crypto';

export function hashBuffer(buf: Uint8Array): string {
  return createHash('sha256').update(buf).digest('hex');
}

export interface FeatureCacheKeyParts {
  /** sha256File (storage/file-hash) or hashBuffer of the image bytes. */
  imageHash: string;
  modelId: string;
  /** ONNX variant of the vision encoder ('', '_q4', ...): quantisation changes the features. */
  variant: string;
  /** Every processor setting that changes pixel values or tiling (sizes, splitting, normalisation). */
  processor: unknown;
}

/** JSON with object keys sorted at every depth, so equal settings give equal keys. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

export function featureCacheKey(parts: FeatureCacheKeyParts): string {
  const { imageHash, modelId, variant, processor } = parts;
  return hashBuffer(Buffer.from(canonicalJson(['vtc-features', imageHash, modelId, variant, processor ?? null])));
}
