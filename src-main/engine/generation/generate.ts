// The one generation loop every family shares: prefill the whole prompt from embeddings, then decode one token
// at a time through the family's embedding → decoder with the KV cache, until eos, the token limit, or cancellation.
import { Tensor, type InferenceSession } from 'onnxruntime-node';
import type { SamplingOptions } from '../../../src-shared/api';
import { EngineError } from '../errors';
import { prefixKey, prefixOfPresent, type PromptCache } from './prompt-cache';
import { tokenPicker } from './sampling';

export interface DecoderShape {
  layers: number;
  kvHeads: number;
  headDim: number;
  hidden: number;
  kvType: 'float32' | 'float16';
}

export interface GenerateRequest {
  /** A generated token → its embeddings [1, 1, hidden] (PromptEmbedder.token). */
  embedToken: (id: number) => Promise<Tensor>;
  decoder: InferenceSession;
  shape: DecoderShape;
  /** Prompt embeddings [seqLen, hidden], image features already in place. */
  inputsEmbeds: Float32Array;
  seqLen: number;
  /** Position of each prompt token; 0..seqLen-1 when absent. */
  positions?: number[];
  maxNewTokens: number;
  eosTokenIds: number[];
  /** Benchmarks only: always make maxNewTokens tokens, so random-weight models give the same work every run. */
  ignoreEos?: boolean;
  sampling?: SamplingOptions;
  signal?: AbortSignal;
  onToken?: (id: number) => void;
  /**
   * The prompt's first `length` tokens do not depend on the question: their KV cache is taken from `cache` when
   * there, and kept there after a prefill that computed it.
   */
  prefix?: { cache: PromptCache; length: number };
}

export interface GenerateResult {
  tokens: number[];
  prefillMs: number;
  decodeMs: number;
  /** Tokens produced by decode steps (the first token comes from prefill). */
  decodeTokens: number;
  /** Prompt tokens whose KV cache came from the prompt cache instead of this prefill. */
  cachedPromptTokens: number;
  kvCacheBytes: number;
}

function emptyCache(shape: DecoderShape): Record<string, Tensor> {
  const feeds: Record<string, Tensor> = {};
  const dims = [1, shape.kvHeads, 0, shape.headDim];
  const data = shape.kvType === 'float16' ? new Uint16Array(0) : new Float32Array(0);
  for (let i = 0; i < shape.layers; i++) {
    feeds[`past_key_values.${i}.key`] = new Tensor(shape.kvType, data, dims);
    feeds[`past_key_values.${i}.value`] = new Tensor(shape.kvType, data, dims);
  }
  return feeds;
}

function cacheFromOutputs(out: InferenceSession.OnnxValueMapType, layers: number): Record<string, Tensor> {
  const feeds: Record<string, Tensor> = {};
  for (let i = 0; i < layers; i++) {
    feeds[`past_key_values.${i}.key`] = out[`present.${i}.key`] as Tensor;
    feeds[`past_key_values.${i}.value`] = out[`present.${i}.value`] as Tensor;
  }
  return feeds;
}

function cacheBytes(cache: Record<string, Tensor>): number {
  let bytes = 0;
  for (const t of Object.values(cache)) bytes += (t.data as ArrayBufferView).byteLength;
  return bytes;
}

function lastRow(logits: Tensor): Float32Array {
  const [, seq, vocab] = logits.dims;
  return (logits.data as Float32Array).subarray((seq - 1) * vocab, seq * vocab);
}

const ones = (n: number) => new Tensor('int64', new BigInt64Array(n).fill(1n), [1, n]);

function checkCancelled(signal?: AbortSignal) {
  if (signal?.aborted) throw new EngineError('CANCELLED', 'generation was cancelled');
}

export async function generate(req: GenerateRequest): Promise<GenerateResult> {
  const { shape, seqLen } = req;
  // The loop stops on a count it compares against: NaN or a fraction would run to eos, which may never come.
  if (!Number.isInteger(req.maxNewTokens) || req.maxNewTokens < 1) {
    throw new EngineError('BAD_ARGUMENT', `maxNewTokens must be a whole number of at least 1, got ${req.maxNewTokens}`);
  }
  const pick = tokenPicker(req.sampling);
  const positions = req.positions ?? Array.from({ length: seqLen }, (_, i) => i);
  const tokens: number[] = [];
  checkCancelled(req.signal);

  const t0 = performance.now();
  // At least one prompt token is prefilled: its logits give the first new token.
  const prefixLength = Math.min(req.prefix?.length ?? 0, seqLen - 1);
  const key = prefixLength > 0 ? prefixKey(req.inputsEmbeds, shape.hidden, positions, prefixLength) : undefined;
  const cached = key === undefined ? undefined : req.prefix!.cache.get(key);
  const from = cached?.length ?? 0;
  let out = await req.decoder.run({
    inputs_embeds: new Tensor('float32', req.inputsEmbeds.subarray(from * shape.hidden), [1, seqLen - from, shape.hidden]),
    attention_mask: ones(seqLen),
    position_ids: new Tensor('int64', BigInt64Array.from(positions.slice(from), BigInt), [1, seqLen - from]),
    ...(cached?.kv ?? emptyCache(shape)),
  });
  if (key !== undefined && !cached) {
    req.prefix!.cache.put(key, { length: prefixLength, kv: prefixOfPresent(out as Record<string, Tensor>, shape.layers, prefixLength) });
  }
  let next = pick(lastRow(out.logits as Tensor));
  const prefillMs = performance.now() - t0;

  let cache = cacheFromOutputs(out, shape.layers);
  let position = Math.max(...positions) + 1;
  let total = seqLen;
  const t1 = performance.now();
  while (true) {
    tokens.push(next);
    req.onToken?.(next);
    if ((!req.ignoreEos && req.eosTokenIds.includes(next)) || tokens.length >= req.maxNewTokens) break;
    checkCancelled(req.signal);
    const embedded = await req.embedToken(next);
    total += 1;
    out = await req.decoder.run({
      inputs_embeds: embedded,
      attention_mask: ones(total),
      position_ids: new Tensor('int64', BigInt64Array.of(BigInt(position++)), [1, 1]),
      ...cache,
    });
    cache = cacheFromOutputs(out, shape.layers);
    next = pick(lastRow(out.logits as Tensor));
  }
  return {
    tokens,
    prefillMs,
    decodeMs: performance.now() - t1,
    decodeTokens: tokens.length - 1,
    cachedPromptTokens: from,
    kvCacheBytes: cacheBytes(cache),
  };
}
