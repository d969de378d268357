import { join } from 'node:path';
import { Tensor, type InferenceSession } from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineErrorOf } from '../test/engine-errors';
import { openSession } from '../model/sessions';
import { fixtureDir } from '../test/paths';
import { promptEmbedder, type PromptEmbedder } from './embed-prompt';

const IMAGE = 49190;
const DIM = 32; // the fixture's text hidden size
// <|im_start|> x <image> <image> y <image> z, as ids.
const IDS = [1, 87, IMAGE, IMAGE, 88, IMAGE, 89];

let embed: InferenceSession;
let embedder: PromptEmbedder;
let plain: Float32Array;

beforeAll(async () => {
  embed = await openSession(join(fixtureDir('tiny-smolvlm'), 'onnx/embed_tokens.onnx'), { ep: 'cpu', threads: 1 });
  const out = await embed.run({ input_ids: new Tensor('int64', BigInt64Array.from(IDS, BigInt), [1, IDS.length]) });
  plain = out.inputs_embeds.data as Float32Array;
  embedder = promptEmbedder(embed, { merge: 'by-token-id', imageTokenId: IMAGE, hidden: DIM });
});
afterAll(async () => {
  await embed?.release();
});

/** `rows` feature rows where row r holds 1000 * (r + 1) + column. */
const features = (rows: number, dim = DIM) =>
  Float32Array.from({ length: rows * dim }, (_, i) => 1000 * (Math.floor(i / dim) + 1) + (i % dim));
const row = (data: Float32Array, r: number) => Array.from(data.subarray(r * DIM, (r + 1) * DIM));

describe('promptEmbedder merging by token id', () => {
  it('writes the feature rows over the image-token rows in order and leaves the text rows alone', async () => {
    const feats = features(3);
    const prompt = await embedder.prompt(IDS, feats, DIM);
    expect(prompt.seqLen).toBe(7);
    expect(prompt.imagePositions).toEqual([2, 3, 5]);
    expect(prompt.embeds).toHaveLength(7 * DIM);
    [2, 3, 5].forEach((pos, r) => expect(row(prompt.embeds, pos)).toEqual(row(feats, r)));
    for (const pos of [0, 1, 4, 6]) expect(row(prompt.embeds, pos)).toEqual(row(plain, pos));
  });

  it('accepts a prompt without image tokens and no features', async () => {
    const prompt = await embedder.prompt([1, 87, 88], new Float32Array(0), DIM);
    expect(prompt.imagePositions).toEqual([]);
    expect(row(prompt.embeds, 2)).toEqual(row(plain, 4));
  });

  it('refuses more or fewer features than image tokens', async () => {
    for (const rows of [2, 4]) {
      const e = await engineErrorOf(embedder.prompt(IDS, features(rows), DIM));
      expect(e.code).toBe('MODEL_MISMATCH');
      expect(e.message).toBe(`the prompt has 3 image tokens for ${rows} image features`);
    }
  });

  it('refuses features of another width than the text embeddings', async () => {
    const e = await engineErrorOf(embedder.prompt(IDS, features(3, 16), 16));
    expect(e.code).toBe('MODEL_MISMATCH');
    expect(e.message).toBe('vision features have 16 values per token but the text embeddings have 32');
  });

  it("embeds a generated token as the prompt's text rows are embedded", async () => {
    const token = await embedder.token(88);
    expect(token.dims).toEqual([1, 1, DIM]);
    expect(Array.from(token.data as Float32Array)).toEqual(row(plain, 4));
  });
});
