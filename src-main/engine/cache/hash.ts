// Content hashes for the per-photo cache: a photo is identified by its bytes, not its path, so a
// renamed or re-imported photo still hits, and an edited one misses.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { EngineError } from '../errors';

export function hashBuffer(buf: Uint8Array): string {
  return createHash('sha256').update(buf).digest('hex');
}

export async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EISDIR') throw new EngineError('FILE_NOT_FOUND', `cannot read ${path}: no such file`);
    throw e;
  }
  return hash.digest('hex');
}

export interface FeatureCacheKeyParts {
  /** hashFile / hashBuffer of the image bytes. */
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
