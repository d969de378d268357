// The explainability-guided compressor (arXiv 2506.01097): the first LLM layer's attention from the instruction
// to each visual token goes through a small trained network (the model folder's onnx/token_compressor.onnx,
// trained on gradient-weighted relevance; models/scripts/train_token_compressor.py) whose output ranks the tokens.
import type { Scorer } from '../types';
import { tokenSignal } from './llm-signals';

export const explainScorer: Scorer = {
  method: 'explain',
  needs: () => ({ kind: 'none', layers: [], llm: { layer: 0, from: 'instruction' }, compressor: true }),
  score: (ctx) => tokenSignal('explain', "the token compressor's scores", ctx.compressorScores, ctx),
};
