// Prompt ids → embeddings with the image features written over the image-token rows, in order.
import { Tensor, type InferenceSession } from 'onnxruntime-node';
import { EngineError } from '../errors';

export interface EmbeddedPrompt {
  embeds: Float32Array;
  seqLen: number;
  /** Indices in the prompt of the image tokens, in order. */
  imagePositions: number[];
}

export async function embedPrompt(
  embed: InferenceSession,
  ids: number[],
  imageTokenId: number,
  features: Float32Array,
  dim: number,
): Promise<EmbeddedPrompt> {
  const out = await embed.run({ input_ids: new Tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]) });
  const embedsTensor = out.inputs_embeds as Tensor;
  const hidden = embedsTensor.dims[2];
  if (hidden !== dim) {
    throw new EngineError('MODEL_MISMATCH', `vision features have ${dim} values per token but the text embeddings have ${hidden}`);
  }
  const embeds = new Float32Array(embedsTensor.data as Float32Array);
  const imagePositions: number[] = [];
  ids.forEach((id, i) => id === imageTokenId && imagePositions.push(i));
  const rows = features.length / dim;
  if (imagePositions.length !== rows) {
    throw new EngineError('MODEL_MISMATCH', `the prompt has ${imagePositions.length} image tokens for ${rows} image features`);
  }
  imagePositions.forEach((pos, row) => embeds.set(features.subarray(row * dim, (row + 1) * dim), pos * hidden));
  return { embeds, seqLen: ids.length, imagePositions };
}
