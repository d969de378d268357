// The Phi-3-vision family (phi3_v; onnx-community Phi-3.5-vision-instruct as transformers.js runs it): a CLIP
// ViT-L/14-336 tower with a [CLS] token over a global view and HD crops, 2x2 patches merged into 144 tokens
// per crop. The LLM reads the crops' tokens as one (rows*12) x (cols*12) grid with a learned newline after
// every row, a separator, then the global view's 12 x 12 tokens with their newlines: newlines and the
// separator are never pruned. Image tokens are negative ids that `prepare_inputs_embeds` fills with the
// image features in order; generation runs on `model`.
import { Tensor } from 'onnxruntime-node';
import { EngineError } from '../../errors';
import { SEPARATOR } from '../../pruning/sequence';
import { ChatTemplate } from '../../text/chat-template';
import { renderConversation } from '../conversation';
import { eosIds, type FamilyDefinition, type FamilyFactory, type PreparedImage } from '../family';
import { CROP_SIZE, phi3vImageSettings, preprocessPhi3v } from './image-processor';

/** What a user writes for the photo (the first one), and the token each image position is spelled with. */
const PLACEHOLDER = '<|image_1|>';
const IMAGE_TOKEN = '<|image|>';
/** CLIP ViT-L/14-336: 24 x 24 patches per crop, merged 2 x 2. */
const PATCH_SIZE = 14;
const POOL = 2;

/**
 * The visual sequence of a photo with rows x cols crops: tile 0 is the global view, tiles 1.. the crops row by
 * row; each entry is a token (tile * tokensPerTile + its place in the tile's grid) or a separator.
 */
export function phi3vSequence(rows: number, cols: number, side: number): number[] {
  const perTile = side * side;
  const sequence: number[] = [];
  for (let r = 0; r < rows * side; r++) {
    for (let c = 0; c < cols * side; c++) {
      const tile = 1 + Math.floor(r / side) * cols + Math.floor(c / side);
      sequence.push(tile * perTile + (r % side) * side + (c % side));
    }
    sequence.push(SEPARATOR);
  }
  sequence.push(SEPARATOR);
  for (let r = 0; r < side; r++) {
    for (let c = 0; c < side; c++) sequence.push(r * side + c);
    sequence.push(SEPARATOR);
  }
  return sequence;
}

export const createPhi3vFamily: FamilyFactory = (folder, tokenizer) => {
  const settings = phi3vImageSettings(folder.preprocessorConfig);
  const template = new ChatTemplate(folder.chatTemplate, folder.tokenizerConfig);
  const patches = CROP_SIZE / PATCH_SIZE;
  const side = patches / POOL;
  const tokensPerTile: number = folder.config.img_processor?.num_img_tokens ?? side * side;
  if (tokensPerTile !== side * side) {
    throw new EngineError('MODEL_MISMATCH', `phi3_v: ${tokensPerTile} image tokens per crop, expected ${side * side}`);
  }
  const imageId = tokenizer.requireId(IMAGE_TOKEN);

  return {
    name: 'phi3v',
    imageMerge: 'in-graph',
    // The export marks image positions with the negated id, as the reference processor writes them.
    imageTokenId: -imageId,
    eosTokenIds: eosIds(folder),
    settingsKey: JSON.stringify({ family: 'phi3v', ...settings, tokensPerTile }),

    async prepareImage(image): Promise<PreparedImage> {
      const px = await preprocessPhi3v(image, settings);
      const rows = px.paddedHeight / CROP_SIZE;
      const cols = px.paddedWidth / CROP_SIZE;
      // The encoder reads the global view and the first rows x cols crops of the grid; the rest carry no tokens.
      const tiles = 1 + rows * cols;
      return {
        visionFeeds: {
          pixel_values: new Tensor('float32', px.pixelValues, [1, 1 + settings.numCrops, 3, CROP_SIZE, CROP_SIZE]),
          image_sizes: new Tensor('int64', BigInt64Array.of(BigInt(px.paddedHeight), BigInt(px.paddedWidth)), [1, 2]),
        },
        tiles,
        tokensPerTile,
        patchRows: patches,
        patchCols: patches,
        poolFactor: POOL,
        grid: { tiles: px.regions.slice(0, tiles).map((r, t) => ({ ...r, rows: side, cols: side, global: t === 0 })) },
        sequence: phi3vSequence(rows, cols, side),
        rows,
        cols,
      };
    },

    promptIds(turns, image, perTile) {
      for (const t of turns) {
        if (t.text.includes(IMAGE_TOKEN))
          throw new EngineError('BAD_ARGUMENT', `the text may not contain the reserved token ${IMAGE_TOKEN}`);
      }
      const separators = (image.sequence ?? []).filter((g) => g === SEPARATOR).length;
      const count = perTile.reduce((a, b) => a + b, 0) + separators;
      const text = renderConversation(template, turns, PLACEHOLDER, IMAGE_TOKEN.repeat(count), { textContent: true });
      return tokenizer.encode(text).map((id) => (id === imageId ? -id : id));
    },
  };
};

export const PHI3V_FAMILY: FamilyDefinition = {
  create: createPhi3vFamily,
  modules: { vision: 'vision_encoder', embed: 'prepare_inputs_embeds', decoder: 'model' },
  clsToken: true,
};
