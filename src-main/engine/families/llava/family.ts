// The LLaVA family: a CLIP-style ViT whose [CLS] token is dropped; the penultimate layer's patches go through
// the projector one-for-one, so a photo is one view of (H/patch) x (W/patch) visual tokens in raster order,
// spelled in the prompt as that many `<image>` tokens.
import { Tensor } from 'onnxruntime-node';
import { EngineError } from '../../errors';
import { ChatTemplate } from '../../text/chat-template';
import { renderConversation } from '../conversation';
import { eosIds, IMAGE_TEXT_TO_TEXT_MODULES, type FamilyDefinition, type FamilyFactory, type PreparedImage } from '../family';
import { clipImageSettings, preprocessClip } from './image-processor';

export const IMAGE_TOKEN = '<image>';

/** One view, no frame: the placeholder becomes exactly as many image tokens as features the LLM gets. */
export function expandLlavaImage(tokensPerTile: number[]): string {
  if (tokensPerTile.length !== 1) throw new Error(`expandLlavaImage: LLaVA has one view, got ${tokensPerTile.length} tile counts`);
  return IMAGE_TOKEN.repeat(tokensPerTile[0]);
}

export const createLlavaFamily: FamilyFactory = (folder, tokenizer) => {
  const settings = clipImageSettings(folder.preprocessorConfig);
  const template = new ChatTemplate(folder.chatTemplate, folder.tokenizerConfig);
  const patchSize: number | undefined = folder.config.vision_config?.patch_size ?? folder.processorConfig.patch_size;
  if (!patchSize || settings.cropWidth % patchSize !== 0 || settings.cropHeight % patchSize !== 0) {
    throw new EngineError(
      'MODEL_MISMATCH',
      `llava: crop ${settings.cropWidth}x${settings.cropHeight} is not a whole number of ${patchSize}-px patches`,
    );
  }
  // Only the 'default' strategy (patches without [CLS]) keeps features and patches one-for-one.
  const strategy = folder.config.vision_feature_select_strategy ?? 'default';
  if (strategy !== 'default')
    throw new EngineError('MODEL_MISMATCH', `llava: vision_feature_select_strategy '${strategy}' is not supported`);
  const patchRows = settings.cropHeight / patchSize;
  const patchCols = settings.cropWidth / patchSize;
  const imageTokenId: number = folder.config.image_token_index ?? folder.config.image_token_id ?? tokenizer.requireId(IMAGE_TOKEN);

  return {
    name: 'llava',
    imageMerge: 'by-token-id',
    imageTokenId,
    eosTokenIds: eosIds(folder),
    settingsKey: JSON.stringify({ family: 'llava', ...settings, patchSize }),

    async prepareImage(image): Promise<PreparedImage> {
      const px = await preprocessClip(image, settings);
      return {
        visionFeeds: { pixel_values: new Tensor('float32', px.pixelValues, [1, 3, px.height, px.width]) },
        tiles: 1,
        tokensPerTile: patchRows * patchCols,
        patchRows,
        patchCols,
        poolFactor: 1,
        grid: { tiles: [{ ...px.region, rows: patchRows, cols: patchCols, global: true }] },
        rows: 0,
        cols: 0,
      };
    },

    promptIds(turns, _image, perTile) {
      return tokenizer.encode(renderConversation(template, turns, IMAGE_TOKEN, expandLlavaImage(perTile)));
    },
  };
};

export const LLAVA_FAMILY: FamilyDefinition = { create: createLlavaFamily, modules: IMAGE_TEXT_TO_TEXT_MODULES, clsToken: true };
