// Model families by config.json `model_type`.
import { EngineError } from '../errors';
import type { ModelFolder } from '../model/modelFolder';
import type { TextTokenizer } from '../text/tokenizer';
import type { FamilyFactory, ModelFamily } from './family';
import { createIdefics3Family } from './idefics3/family';
import { createLlavaFamily } from './llava/family';

const FAMILIES: Record<string, FamilyFactory> = {
  idefics3: createIdefics3Family,
  smolvlm: createIdefics3Family,
  llava: createLlavaFamily,
};

export function createFamily(folder: ModelFolder, tokenizer: TextTokenizer): ModelFamily {
  const factory = FAMILIES[folder.config.model_type];
  if (!factory) {
    throw new EngineError(
      'MODEL_MISMATCH',
      `model type '${folder.config.model_type}' is not supported (supported: ${Object.keys(FAMILIES).join(', ')})`,
    );
  }
  return factory(folder, tokenizer);
}
