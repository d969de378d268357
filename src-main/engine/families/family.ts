// The boundary between the shared engine (sessions, generation, pruning) and one model family. A family knows
// how its processor turns a photo into vision-encoder inputs, how its prompt spells the image, and how its
// visual tokens are laid out; everything else is shared. Adding a family is adding a folder beside this file.
import type { Tensor } from 'onnxruntime-node';
import type { TokenGrid } from '../../../src-shared/api';
import type { RgbImage } from '../image/decode-image';
import type { ModelFolder } from '../model/read-model-folder';
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
  /** Tile arrangement the prompt spells out (0 x 0 for a single view). */
  rows: number;
  cols: number;
}

/** Everything about a prepared photo except the pixels: what prompts and scorers need, and what the cache keeps. */
export type PhotoLayout = Omit<PreparedImage, 'visionFeeds' | 'tileAxis'>;

export interface ConversationTurn {
  role: 'user' | 'assistant';
  text: string;
}

export interface ModelFamily {
  readonly name: string;
  readonly imageTokenId: number;
  readonly eosTokenIds: number[];
  /** The vision encoder puts a [CLS] token before the patches (CLIP), which offers [CLS] attention. */
  readonly clsToken: boolean;
  /** Fingerprint of the processor settings; part of the per-photo cache key. */
  readonly settingsKey: string;
  prepareImage(image: RgbImage): Promise<PreparedImage>;
  /**
   * Token ids of the whole conversation ending with the assistant's cue. The photo sits in the first user turn,
   * with `tokensPerTile[t]` image tokens for tile t (fewer than `image.tokensPerTile` when pruned).
   */
  promptIds(turns: ConversationTurn[], image: PhotoLayout, tokensPerTile: number[]): number[];
}

/** A family's adapter; the registry adds whether there is a [CLS] token, which it also needs without loading a model. */
export type FamilyFactory = (folder: ModelFolder, tokenizer: TextTokenizer) => Omit<ModelFamily, 'clsToken'>;

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
