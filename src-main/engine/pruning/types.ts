// Shared shapes of the pruning core: what the instrumented vision encoder hands over, how visual
// tokens are laid out, and what a scorer is. Everything here is plain data so scorers stay pure.
import type { PruningMethod } from '../../../src-shared/api';

/** cls: the [CLS] query's row ([CLS] column dropped); received: the attention each patch receives, mean over queries. */
export const ATTENTION_KINDS = ['cls', 'received'] as const;
export type AttentionKind = (typeof ATTENTION_KINDS)[number];

/** layer index (0-based) -> one Float32Array per tile of length patchRows*patchCols (raster order). */
export type LayerScores = Map<number, Float32Array[]>;

/** Attention-derived patch scores from the instrumented vision encoder, per kind and encoder layer. */
export interface AttentionScores {
  layerCount: number; // depth of the encoder
  /** Only the kinds the encoder was instrumented for, and the layers it captured, are present. */
  byKind: Partial<Record<AttentionKind, LayerScores>>;
}

export interface TokenLayout {
  tiles: number;
  patchRows: number;
  patchCols: number; // patches per tile side (SmolVLM 32x32, a LLaVA fixture maybe 12x12)
  poolFactor: number; // patches per token side (SmolVLM 4 → 8x8 tokens per tile; LLaVA 1)
  /** The LLM's order of the tokens, with separators; see PreparedImage.sequence and ./sequence.ts. */
  sequence?: readonly number[];
}

export interface ScorerOptions {
  /** vtc-cls-ensemble: how many layers, ending at the penultimate one, are summed. */
  ensembleLayers?: number;
}

/** Visual features as the LLM reads them: one row of `dim` values per visual token. */
export interface TokenFeatures {
  values: Float32Array;
  dim: number;
}

export interface ScorerContext {
  attention?: AttentionScores;
  /** The LLM's attention to each visual token, reduced as the scorer's `llm` need asks (question-dependent). */
  llmAttention?: Float32Array;
  /** The trained token compressor's output over llmAttention (`explain`). */
  compressorScores?: Float32Array;
  features?: TokenFeatures;
  layout: TokenLayout;
  seed: number;
  options: ScorerOptions;
}

/**
 * LLM attention to the visual tokens at decoder layer `layer` (0-based) on the full prompt, mean over heads:
 * from the prompt's last token (FastV's reference code) or averaged over the instruction, every prompt token
 * after the last image token (arXiv 2506.01097).
 */
export interface LlmAttentionNeed {
  layer: number;
  from: 'last-token' | 'instruction';
}

export interface ScorerNeeds {
  /** Vision-encoder attention: its kind ('none': not read) and encoder layers (0-based). */
  kind: AttentionKind | 'none';
  layers: number[];
  /** Question-dependent methods: the decoder probe this method reads. */
  llm?: LlmAttentionNeed;
  /** The model folder's trained token compressor, run over the llm attention. */
  compressor?: boolean;
}

/** How kept tokens are chosen from the scores: see ./selectors.ts. */
export type SelectorKind = 'top-k' | 'diverse' | 'pool';

export interface Scorer {
  method: PruningMethod;
  /** Which signals this scorer needs; kind 'none' and no layers when it reads no encoder attention. */
  needs(layerCount: number, options: ScorerOptions): ScorerNeeds;
  /** One score per visual token, flat, tile-major then raster order within a tile. Higher = keep. */
  score(ctx: ScorerContext): Float32Array;
  /** top-k when absent. */
  selector?: SelectorKind;
}
