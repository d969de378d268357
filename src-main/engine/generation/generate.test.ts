import { join } from 'node:path';
import { Tensor, type InferenceSession } from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineErrorOf } from '../test/engine-errors';
import { readModelFolder } from '../model/read-model-folder';
import { openSession } from '../model/sessions';
import { fixtureDir } from '../test/paths';
import { TextTokenizer } from '../text/tokenizer';
import { promptEmbedder } from './embed-prompt';
import { generate, type DecoderShape, type GenerateRequest } from './generate';
import { PromptCache } from './prompt-cache';
import { argmax } from './sampling';

const folder = readModelFolder(fixtureDir('tiny-smolvlm'));
const tokenizer = new TextTokenizer(folder.tokenizerJson, folder.tokenizerConfig);
// The fixture's text model (see its README): 2 layers, 2 KV heads of 8, hidden 32, fp32 cache.
const SHAPE: DecoderShape = { layers: 2, kvHeads: 2, headDim: 8, hidden: 32, kvType: 'float32' };
const PROMPT = tokenizer.encode('<|im_start|>User: Tell me a story about a red fox.<end_of_utterance>\nAssistant:');

let embed: InferenceSession;
let decoder: InferenceSession;

async function embedIds(ids: number[]): Promise<Float32Array> {
  const out = await embed.run({ input_ids: new Tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]) });
  return new Float32Array(out.inputs_embeds.data as Float32Array);
}

async function request(overrides: Partial<GenerateRequest> = {}): Promise<GenerateRequest> {
  return {
    embedToken: promptEmbedder(embed, { merge: 'by-token-id', imageTokenId: -1, hidden: SHAPE.hidden }).token,
    decoder,
    shape: SHAPE,
    inputsEmbeds: await embedIds(PROMPT),
    seqLen: PROMPT.length,
    maxNewTokens: 6,
    eosTokenIds: [49279],
    ...overrides,
  };
}

/** Greedy tokens without a KV cache: the whole sequence through the decoder at every step. */
async function greedyWithoutCache(positions: number[], steps: number): Promise<number[]> {
  const tokens: number[] = [];
  const empty = new Tensor('float32', new Float32Array(0), [1, SHAPE.kvHeads, 0, SHAPE.headDim]);
  const past: Record<string, Tensor> = {};
  for (let i = 0; i < SHAPE.layers; i++) past[`past_key_values.${i}.key`] = past[`past_key_values.${i}.value`] = empty;
  let next = Math.max(...positions) + 1;
  const allPositions = [...positions];
  for (let s = 0; s < steps; s++) {
    const embeds = await embedIds([...PROMPT, ...tokens]);
    const n = allPositions.length;
    const out = await decoder.run({
      inputs_embeds: new Tensor('float32', embeds, [1, n, SHAPE.hidden]),
      attention_mask: new Tensor('int64', new BigInt64Array(n).fill(1n), [1, n]),
      position_ids: new Tensor('int64', BigInt64Array.from(allPositions, BigInt), [1, n]),
      ...past,
    });
    const [, seq, vocab] = out.logits.dims;
    tokens.push(argmax((out.logits.data as Float32Array).subarray((seq - 1) * vocab)));
    allPositions.push(next++);
  }
  return tokens;
}

beforeAll(async () => {
  const settings = { ep: 'cpu' as const, threads: 1 };
  [embed, decoder] = await Promise.all([
    openSession(join(folder.dir, 'onnx/embed_tokens.onnx'), settings),
    openSession(join(folder.dir, 'onnx/decoder_model_merged.onnx'), settings),
  ]);
});
afterAll(async () => {
  await Promise.all([embed?.release(), decoder?.release()]);
});

describe('generate', () => {
  it('produces exactly maxNewTokens tokens when no eos comes, the first from prefill', async () => {
    const result = await generate(await request({ maxNewTokens: 5 }));
    expect(result.tokens).toHaveLength(5);
    expect(result.decodeTokens).toBe(4);
    expect(result.prefillMs).toBeGreaterThan(0);
    expect(result.decodeMs).toBeGreaterThan(0);
  });

  it('gives the same greedy tokens as recomputing the whole sequence without a cache', async () => {
    const positions = PROMPT.map((_, i) => i);
    const result = await generate(await request({ maxNewTokens: 6 }));
    expect(result.tokens).toEqual(await greedyWithoutCache(positions, 6));
  });

  it('feeds the given positions at prefill and continues after the largest one', async () => {
    // A gap of 40 in the middle of the prompt, as 'original' positions leave after pruned image tokens.
    const positions = PROMPT.map((_, i) => (i < 6 ? i : i + 40));
    const result = await generate(await request({ maxNewTokens: 6, positions }));
    expect(result.tokens).toEqual(await greedyWithoutCache(positions, 6));
    // The premise: the gap changes the answer, so the comparison above saw the positions.
    expect(result.tokens).not.toEqual((await generate(await request({ maxNewTokens: 6 }))).tokens);
  });

  it('reports the KV cache it ends with: layers x (key, value) x heads x length x head size x 4 bytes', async () => {
    const result = await generate(await request({ maxNewTokens: 5 }));
    // The last token is never fed back, so the cache holds the prompt and the first 4 new tokens.
    expect(result.kvCacheBytes).toBe(2 * 2 * 2 * (PROMPT.length + 4) * 8 * 4);
  });

  describe('with a prompt cache', () => {
    // Two questions after the same start, as two questions on one photo: the start is the cached prefix.
    const OTHER = tokenizer.encode('<|im_start|>User: Tell me a story about a blue whale.<end_of_utterance>\nAssistant:');
    const shared = PROMPT.findIndex((id, i) => id !== OTHER[i]);
    const withOther = async (prefix: GenerateRequest['prefix']) =>
      request({ inputsEmbeds: await embedIds(OTHER), seqLen: OTHER.length, prefix });

    it('prefills only the text after a cached prefix, and answers as without the cache', async () => {
      expect(shared).toBeGreaterThan(3);
      const cache = new PromptCache();
      const prefix = { cache, length: shared };
      const first = await generate(await request({ prefix }));
      expect(first.cachedPromptTokens).toBe(0);
      expect(cache.bytes).toBe(2 * 2 * 2 * shared * 8 * 4);
      const again = await generate(await request({ prefix }));
      const other = await generate(await withOther(prefix));
      expect([again.cachedPromptTokens, other.cachedPromptTokens]).toEqual([shared, shared]);
      expect(again.tokens).toEqual(first.tokens);
      expect(other.tokens).toEqual((await generate(await withOther(undefined))).tokens);
      // The premise: the two questions get different answers, so the cached run did read its own text.
      expect(other.tokens).not.toEqual(first.tokens);
    });

    it('misses when the prefix was fed at other positions', async () => {
      const cache = new PromptCache();
      await generate(await request({ prefix: { cache, length: shared } }));
      const positions = PROMPT.map((_, i) => i + 3);
      const shifted = await generate(await request({ positions, prefix: { cache, length: shared } }));
      expect(shifted.cachedPromptTokens).toBe(0);
      expect(shifted.tokens).toEqual(await greedyWithoutCache(positions, 6));
    });

    it('prefills at least the last prompt token, whose logits give the first new one', async () => {
      const cache = new PromptCache();
      const prefix = { cache, length: PROMPT.length };
      await generate(await request({ prefix }));
      const again = await generate(await request({ prefix }));
      expect(again.cachedPromptTokens).toBe(PROMPT.length - 1);
      expect(again.tokens).toEqual(
        await greedyWithoutCache(
          PROMPT.map((_, i) => i),
          6,
        ),
      );
    });
  });

  it('stops at the first eos token and keeps it', async () => {
    const free = (await generate(await request({ maxNewTokens: 6 }))).tokens;
    const stopAt = free.findIndex((t) => t !== free[0]);
    expect(stopAt).toBeGreaterThan(0);
    const result = await generate(await request({ maxNewTokens: 6, eosTokenIds: [999_999, free[stopAt]] }));
    expect(result.tokens).toEqual(free.slice(0, stopAt + 1));
  });

  it('runs on past eos to exactly maxNewTokens with ignoreEos (benchmarks), making the same tokens', async () => {
    const free = (await generate(await request({ maxNewTokens: 6 }))).tokens;
    const result = await generate(await request({ maxNewTokens: 6, eosTokenIds: [free[1]], ignoreEos: true }));
    expect(result.tokens).toEqual(free);
    expect(result.decodeTokens).toBe(5);
  });

  it('reports every token to onToken in order', async () => {
    const seen: number[] = [];
    const result = await generate(await request({ maxNewTokens: 4, onToken: (id) => seen.push(id) }));
    expect(seen).toEqual(result.tokens);
  });

  it('samples reproducibly with a seed', async () => {
    const sampling = { temperature: 1.5, seed: 21 };
    const a = await generate(await request({ maxNewTokens: 8, sampling }));
    const b = await generate(await request({ maxNewTokens: 8, sampling }));
    const c = await generate(await request({ maxNewTokens: 8, sampling: { ...sampling, seed: 22 } }));
    expect(a.tokens).toEqual(b.tokens);
    expect(a.tokens).not.toEqual(c.tokens);
  });

  it('stops with CANCELLED when the signal aborts between tokens', async () => {
    const controller = new AbortController();
    const seen: number[] = [];
    const run = generate(
      await request({
        maxNewTokens: 20,
        signal: controller.signal,
        onToken: (id) => {
          seen.push(id);
          if (seen.length === 2) controller.abort();
        },
      }),
    );
    const e = await engineErrorOf(run);
    expect(e.code).toBe('CANCELLED');
    expect(e.message).toBe('generation was cancelled');
    expect(seen).toHaveLength(2);
  });

  it('does not start when the signal is already aborted', async () => {
    const seen: number[] = [];
    const e = await engineErrorOf(generate(await request({ signal: AbortSignal.abort(), onToken: (id) => seen.push(id) })));
    expect(e.code).toBe('CANCELLED');
    expect(seen).toEqual([]);
  });

  it.each([0, -3, 2.5, Number.NaN])('refuses maxNewTokens %s', async (maxNewTokens) => {
    const e = await engineErrorOf(generate(await request({ maxNewTokens })));
    expect(e.code).toBe('BAD_ARGUMENT');
    expect(e.message).toBe(`maxNewTokens must be a whole number of at least 1, got ${maxNewTokens}`);
  });
});
