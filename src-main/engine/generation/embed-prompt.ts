// Prompt ids → embeddings with the image features in place, the way the family's export merges them (see
// ImageMerge), and a generated token → its embedding for the next decode step.
import { Tensor, type InferenceSession } from 'onnxruntime-node';
import { EngineError } from '../errors';
import type { ImageMerge } from '../families/family';

export interface EmbeddedPrompt {
  embeds: Float32Array;
  seqLen: number;
  /** Indices in the prompt of the image tokens, in order. */
  imagePositions: number[];
}

export interface PromptEmbedder {
  /** The prompt's embeddings, `features` ([rows, dim], one row per image token in order) in place. */
  prompt(ids: number[], features: Float32Array, dim: number): Promise<EmbeddedPrompt>;
  /** One token's embeddings [1, 1, hidden]. */
  token(id: number): Promise<Tensor>;
}

export interface EmbedderSettings {
  merge: ImageMerge;
  /** The id marking an image token in the prompt. */
  imageTokenId: number;
  /** Width of the text embeddings. */
  hidden: number;
}

const idsTensor = (ids: number[]) => new Tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]);

export function promptEmbedder(session: InferenceSession, { merge, imageTokenId, hidden }: EmbedderSettings): PromptEmbedder {
  // An in-graph merge takes the features as an input, none at all for a text-only step.
  const run = (ids: number[], features: Float32Array, dim: number) =>
    session.run({
      input_ids: idsTensor(ids),
      ...(merge === 'in-graph' ? { image_features: new Tensor('float32', features, [features.length / dim, dim]) } : {}),
    });

  return {
    async prompt(ids, features, dim) {
      if (dim !== hidden) {
        throw new EngineError('MODEL_MISMATCH', `vision features have ${dim} values per token but the text embeddings have ${hidden}`);
      }
      const imagePositions: number[] = [];
      ids.forEach((id, i) => id === imageTokenId && imagePositions.push(i));
      const rows = features.length / dim;
      if (imagePositions.length !== rows) {
        throw new EngineError('MODEL_MISMATCH', `the prompt has ${imagePositions.length} image tokens for ${rows} image features`);
      }
      const out = await run(ids, features, dim);
      const embeds = new Float32Array((out.inputs_embeds as Tensor).data as Float32Array);
      if (merge === 'by-token-id')
        imagePositions.forEach((pos, row) => embeds.set(features.subarray(row * dim, (row + 1) * dim), pos * hidden));
      return { embeds, seqLen: ids.length, imagePositions };
    },

    async token(id) {
      const out = await run([id], new Float32Array(0), hidden);
      return out.inputs_embeds as Tensor;
    },
  };
}
