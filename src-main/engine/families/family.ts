// The boundary between the shared engine (sessions, generation, pruning) and one model family. A family knows
// which ONNX modules it opens, how its processor turns a photo into vision-encoder inputs, how its prompt spells
// the image and how the image features enter the prompt's embeddings, and how its visual tokens are laid out;
// everything else is shared. Adding a family is a folder beside this file and one line in ./index.ts.
import type { Tensor } from 'onnxruntime-node';
import type { TokenGrid } from '../../../src-shared/api';
import type { RgbImage } from '../image/decode-image';
import type { ModelFolder } from '../model/read-model-folder';
import type { ModelModule } from '../model/variants';
import type { AttentionKind } from '../pruning/types';
import type { TextTokenizer } from '../text/tokenizer';

export interface PreparedImage {
  /** Inputs of the vision encoder for this photo. */
  visionFeeds: Record<string, Tensor>;
  /** The axis of every vision feed along which tiles lie, when the encoder encodes each tile on its own. */
  tileAxis?: number;
  tiles: number;
  /** Visual tokens the LLM gets per tile when nothing is pruned. */
  tokensPerTile: number;
  /** Patch grid per tile as the encoder sees it, and how many patches per side merge into one token. */
  patchRows: number;
  patchCols: number;
  poolFactor: number;
  /** Where each tile's tokens lie in the photo (rows/cols are the token grid). */
  grid: TokenGrid;
  /**
   * The visual tokens in the order the LLM reads them (the vision encoder's feature rows): each the index of the
   * patch group it pools (tile-major, raster over each tile's token grid), or -1 for a separator the connector
   * adds (a newline, a boundary between views), which pools no patches and is never pruned. Absent: the groups
   * in their own order, no separators.
   */
  sequence?: number[];
  /** Tile arrangement the prompt spells out (0 x 0 for a single view). */
  rows: number;
  cols: number;
  /**
   * Under a crop budget, the crops (row-major indices into rows x cols) whose tiles were encoded, ascending; the
   * tiles are then these crops and the global view, and the prompt spells only these. Absent: every crop.
   */
  keptCrops?: number[];
}

/** Everything about a prepared photo except the pixels: what prompts and scorers need, and what the cache keeps. */
export type PhotoLayout = Omit<PreparedImage, 'visionFeeds' | 'tileAxis'>;

export interface ConversationTurn {
  role: 'user' | 'assistant';
  text: string;
}

/** The ONNX modules a family opens, by the part each plays: file stems under `onnx/`. */
export interface FamilyModules {
  /** Photo → image features (one row per visual token, in the LLM's order). */
  vision: ModelModule;
  /** Token ids → embeddings; with `imageMerge: 'in-graph'` it takes the image features too. */
  embed: ModelModule;
  /** Embeddings + KV cache → logits. */
  decoder: ModelModule;
}

/**
 * How image features enter the prompt: 'by-token-id' writes them over the rows of the image tokens after the ids
 * are embedded; 'in-graph' hands ids and features to the embedding graph, which merges them at its image
 * tokens (negative ids in Phi-3-vision's export).
 */
export type ImageMerge = 'by-token-id' | 'in-graph';

export interface ModelFamily {
  readonly name: string;
  readonly modules: FamilyModules;
  readonly imageMerge: ImageMerge;
  /** The id that marks an image token in `promptIds` (negative where the embedding graph merges). */
  readonly imageTokenId: number;
  readonly eosTokenIds: number[];
  /** The vision encoder puts a [CLS] token before the patches (CLIP), which offers [CLS] attention. */
  readonly clsToken: boolean;
  /** Fingerprint of the processor settings; part of the per-photo cache key. */
  readonly settingsKey: string;
  /** `cropFraction`: a tiling family resizes the photo smaller, to at most that share of its crops (the downsampling baseline of a crop budget). */
  prepareImage(image: RgbImage, cropFraction?: number): Promise<PreparedImage>;
  /**
   * Token ids of the whole conversation ending with the assistant's cue. The photo sits in the first user turn,
   * with `tokensPerTile[t]` image tokens for tile t (fewer than `image.tokensPerTile` when pruned), and the
   * layout's separators, which are never pruned.
   */
  promptIds(turns: ConversationTurn[], image: PhotoLayout, tokensPerTile: number[]): number[];
}

/** A family's adapter for one model folder. */
export type FamilyFactory = (folder: ModelFolder, tokenizer: TextTokenizer) => Omit<ModelFamily, keyof FamilyTraits>;

/** What the registry knows of a family without loading a model: its modules and whether there is a [CLS] token. */
export interface FamilyTraits {
  readonly modules: FamilyModules;
  /** The vision encoder puts a [CLS] token before the patches (CLIP); SigLIP has none. */
  readonly clsToken: boolean;
}

/** One family as its folder exports it, and the registry lists it. */
export interface FamilyDefinition extends FamilyTraits {
  create: FamilyFactory;
}

/** The modules of the onnx-community image-text-to-text export (SmolVLM, LLaVA-style). */
export const IMAGE_TEXT_TO_TEXT_MODULES: FamilyModules = {
  vision: 'vision_encoder',
  embed: 'embed_tokens',
  decoder: 'decoder_model_merged',
};

/** Attention summaries an encoder offers for scoring: every encoder's patches receive attention; a [CLS]
 * token's row is there only with a [CLS] token. */
export function attentionKinds(clsToken: boolean): AttentionKind[] {
  return clsToken ? ['cls', 'received'] : ['received'];
}

/** eos ids from generation_config.json (a number or a list), as generation stops on any of them. */
export function eosIds(folder: ModelFolder): number[] {
  const eos = folder.generationConfig.eos_token_id ?? folder.config.text_config?.eos_token_id ?? folder.config.eos_token_id;
  return (Array.isArray(eos) ? eos : [eos]).filter((x): x is number => typeof x === 'number');
}
