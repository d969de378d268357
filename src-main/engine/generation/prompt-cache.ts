// The decoder's KV cache for the part of a prompt that does not depend on the question: everything up to the end
// of the photo's image tokens. A follow-up question, or the next batch question on the same photo, prefills only
// its own text after it. Entries are keyed by what the decoder saw (the prefix's embeddings and positions), so
// each photo and each side (full, or pruned by one method and budget) has its own entry without naming either.
// Kept in memory, bounded by bytes, least recently used first out, in the dtype the decoder's cache takes.
import { createHash } from 'node:crypto';
import { Tensor } from 'onnxruntime-node';

/** Decoder cache feeds by input name (`past_key_values.<layer>.key|value`), each [1, kvHeads, length, headDim]. */
export type KvFeeds = Record<string, Tensor>;

export interface CachedPrefix {
  /** Prompt tokens the cache holds. */
  length: number;
  kv: KvFeeds;
}

/** Room for a handful of photos at SmolVLM-256M's size (about 40 MB of fp32 cache per 13-tile photo). */
export const DEFAULT_PROMPT_CACHE_BYTES = 256 * 1024 * 1024;

/** Identity of a prompt prefix: its first `length` rows of embeddings and their positions. */
export function prefixKey(embeds: Float32Array, hidden: number, positions: readonly number[], length: number): string {
  const rows = embeds.subarray(0, length * hidden);
  return createHash('sha256')
    .update(new Uint8Array(rows.buffer, rows.byteOffset, rows.byteLength))
    .update(Int32Array.from(positions.slice(0, length)))
    .digest('hex');
}

/** The first `length` positions of each `present.*` output, as `past_key_values.*` feeds (copies, not views). */
export function prefixOfPresent(present: Record<string, Tensor>, layers: number, length: number): KvFeeds {
  const feeds: KvFeeds = {};
  for (let i = 0; i < layers; i++) {
    for (const part of ['key', 'value']) {
      const t = present[`present.${i}.${part}`];
      const [batch, heads, seq, dim] = t.dims;
      if (length > seq) throw new Error(`prefixOfPresent: ${length} positions asked of a ${seq}-position cache`);
      const data = t.data as Float32Array | Uint16Array;
      const out = new (data.constructor as Float32ArrayConstructor | Uint16ArrayConstructor)(batch * heads * length * dim);
      for (let h = 0; h < batch * heads; h++) out.set(data.subarray(h * seq * dim, (h * seq + length) * dim), h * length * dim);
      feeds[`past_key_values.${i}.${part}`] = new Tensor(t.type as 'float32' | 'float16', out, [batch, heads, length, dim]);
    }
  }
  return feeds;
}

function feedBytes(kv: KvFeeds): number {
  let bytes = 0;
  for (const t of Object.values(kv)) bytes += (t.data as ArrayBufferView).byteLength;
  return bytes;
}

export class PromptCache {
  private readonly entries = new Map<string, CachedPrefix & { bytes: number }>();
  private total = 0;

  constructor(readonly maxBytes = DEFAULT_PROMPT_CACHE_BYTES) {}

  get bytes(): number {
    return this.total;
  }

  get(key: string): CachedPrefix | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    // Map keeps insertion order: moving the entry to the end makes the first one the least recently used.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry;
  }

  clear(): void {
    this.entries.clear();
    this.total = 0;
  }

  put(key: string, prefix: CachedPrefix): void {
    const bytes = feedBytes(prefix.kv);
    // One prefix larger than the whole bound would only push everything else out and then itself.
    if (bytes > this.maxBytes) return;
    const old = this.entries.get(key);
    if (old) {
      this.entries.delete(key);
      this.total -= old.bytes;
    }
    this.entries.set(key, { ...prefix, bytes });
    this.total += bytes;
    for (const [k, e] of this.entries) {
      if (this.total <= this.maxBytes) break;
      this.entries.delete(k);
      this.total -= e.bytes;
    }
  }
}
