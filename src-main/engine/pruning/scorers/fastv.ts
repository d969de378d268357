// FastV (arXiv 2403.06764), input-stage form: the attention the prompt's last token pays each visual token at
// LLM layer K - 1 = 1 (0-based; K = 2 as in the reference code), mean over heads. The engine gets it from a pass
// of the full prompt through layers 0..1 only, then prefills the pruned prompt from scratch; true FastV instead
// keeps layers 0..1's work and drops tokens from layer 2 on.
import type { Scorer } from '../types';
import { tokenSignal } from './llm-signals';

export const FASTV_LAYER = 1;

export const fastvScorer: Scorer = {
  method: 'fastv',
  needs: () => ({ kind: 'none', layers: [], llm: { layer: FASTV_LAYER, from: 'last-token' } }),
  score: (ctx) => tokenSignal('fastv', "the LLM's attention from the last prompt token", ctx.llmAttention, ctx),
};
