// The decoder probe's attention probabilities [1, heads, queries, keys] → one value per visual token: the attention
// that the question pays each image position, mean over heads and over the query rows asked for (the prompt's last
// token, or every prompt token after the last image token: the instruction), then in token order.
import { EngineError } from '../errors';
import { SEPARATOR, visualSequence } from './sequence';
import type { LlmAttentionNeed, TokenLayout } from './types';

export interface ProbeAttention {
  probs: Float32Array;
  heads: number;
  /** Prompt length: queries and keys alike (the probe runs without a cache). */
  seqLen: number;
}

export function visualTokenAttention(
  { probs, heads, seqLen }: ProbeAttention,
  imagePositions: readonly number[],
  from: LlmAttentionNeed['from'],
  layout: TokenLayout,
): Float32Array {
  if (probs.length !== heads * seqLen * seqLen) {
    throw new EngineError('BAD_ARGUMENT', `attention of ${probs.length} values is not ${heads} heads of ${seqLen}x${seqLen}`);
  }
  const lastImage = imagePositions.at(-1);
  if (lastImage === undefined) throw new EngineError('BAD_ARGUMENT', 'the prompt has no image tokens to rank');
  const firstRow = from === 'last-token' ? seqLen - 1 : lastImage + 1;
  if (firstRow > seqLen - 1) throw new EngineError('BAD_ARGUMENT', 'the prompt has no instruction after its image tokens');
  const rows = seqLen - firstRow;
  const perRow = new Float32Array(imagePositions.length);
  for (let h = 0; h < heads; h++) {
    for (let q = firstRow; q < seqLen; q++) {
      const base = (h * seqLen + q) * seqLen;
      imagePositions.forEach((key, j) => (perRow[j] += probs[base + key]));
    }
  }
  for (let j = 0; j < perRow.length; j++) perRow[j] /= heads * rows;
  // Image positions follow the visual sequence; separators are not tokens to rank.
  const sequence = visualSequence(layout);
  if (sequence.length !== perRow.length) {
    throw new EngineError('BAD_ARGUMENT', `the prompt has ${perRow.length} image tokens for a visual sequence of ${sequence.length}`);
  }
  const out = new Float32Array(sequence.length - sequence.filter((t) => t === SEPARATOR).length);
  sequence.forEach((token, row) => token !== SEPARATOR && (out[token] = perRow[row]));
  return out;
}
