// The Idefics3 / SmolVLM family: SigLIP patches (no [CLS]) merged 4x4 by pixel shuffle into 64 tokens per
// 512 px tile, several tiles plus a global view per photo.
import { Tensor } from 'onnxruntime-node';
import { ChatTemplate } from '../../text/chat-template';
import { renderConversation } from '../conversation';
import { eosIds, IMAGE_TEXT_TO_TEXT_MODULES, type FamilyDefinition, type FamilyFactory, type PreparedImage } from '../family';
import { downsampledEdge, idefics3ImageSettings, preprocessIdefics3 } from './image-processor';
import { expandImagePrompt, IMAGE_TOKEN } from './prompt';

export const createIdefics3Family: FamilyFactory = (folder, tokenizer) => {
  const settings = idefics3ImageSettings(folder.preprocessorConfig);
  const template = new ChatTemplate(folder.chatTemplate, folder.tokenizerConfig);
  const patchSize: number = folder.config.vision_config?.patch_size ?? 16;
  const poolFactor: number = folder.config.scale_factor ?? 4;
  const patchesPerSide = settings.tileSize / patchSize;
  const tokensPerTile: number = folder.processorConfig.image_seq_len ?? (patchesPerSide / poolFactor) ** 2;
  const imageTokenId = folder.config.image_token_id ?? tokenizer.requireId(IMAGE_TOKEN);

  return {
    name: 'idefics3',
    imageMerge: 'by-token-id',
    imageTokenId,
    eosTokenIds: eosIds(folder),
    settingsKey: JSON.stringify({ family: 'idefics3', ...settings, tokensPerTile }),

    async prepareImage(image, cropFraction): Promise<PreparedImage> {
      const longestEdge =
        cropFraction === undefined ? settings.longestEdge : downsampledEdge(image.width, image.height, settings, cropFraction);
      const px = await preprocessIdefics3(image, { ...settings, longestEdge });
      const T = px.tileSize;
      const mask = new Uint8Array(px.tiles * T * T).fill(1);
      const tokenSide = patchesPerSide / poolFactor;
      return {
        visionFeeds: {
          pixel_values: new Tensor('float32', px.pixelValues, [1, px.tiles, 3, T, T]),
          pixel_attention_mask: new Tensor('bool', mask, [1, px.tiles, T, T]),
        },
        // SigLIP attends within a tile, and the connector merges patches within a tile.
        tileAxis: 1,
        tiles: px.tiles,
        tokensPerTile,
        patchRows: patchesPerSide,
        patchCols: patchesPerSide,
        poolFactor,
        grid: { tiles: px.grid.map((g) => ({ ...g, rows: tokenSide, cols: tokenSide })) },
        rows: px.rows,
        cols: px.cols,
      };
    },

    promptIds(turns, image, perTile) {
      const text = renderConversation(template, turns, IMAGE_TOKEN, expandImagePrompt(image.rows, image.cols, perTile, image.keptCrops));
      return tokenizer.encode(text);
    },
  };
};

export const IDEFICS3_FAMILY: FamilyDefinition = { create: createIdefics3Family, modules: IMAGE_TEXT_TO_TEXT_MODULES, clsToken: false };
