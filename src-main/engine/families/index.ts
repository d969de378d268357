// Model families by config.json `model_type`, with the kind of attention their vision encoder offers for
// scoring tokens (which decides the pruning methods a model supports).
import type { PruningMethod } from '../../../src-shared/api';
import { EngineError } from '../errors';
import type { ModelFolder } from '../model/modelFolder';
import { SCORERS } from '../pruning/scorers/index';
import type { TextTokenizer } from '../text/tokenizer';
import type { FamilyFactory, ModelFamily } from './family';
import { createIdefics3Family } from './idefics3/family';
import { createLlavaFamily } from './llava/family';

interface FamilyEntry {
  create: FamilyFactory;
  /** [CLS] row for encoders with a [CLS] token, attention received for those without (SigLIP). */
  attention: ModelFamily['attentionKind'];
}

const IDEFICS3: FamilyEntry = { create: createIdefics3Family, attention: 'received' };

const FAMILIES: Record<string, FamilyEntry> = {
  idefics3: IDEFICS3,
  smolvlm: IDEFICS3,
  llava: { create: createLlavaFamily, attention: 'cls' },
};

export function createFamily(folder: ModelFolder, tokenizer: TextTokenizer): ModelFamily {
  const entry = FAMILIES[folder.config.model_type];
  if (!entry) {
    throw new EngineError(
      'MODEL_MISMATCH',
      `model type '${folder.config.model_type}' is not supported (supported: ${Object.keys(FAMILIES).join(', ')})`,
    );
  }
  return { ...entry.create(folder, tokenizer), attentionKind: entry.attention };
}

/** Pruning methods a model of this type can run: the baselines, and those whose attention kind it offers. */
export function supportedMethods(modelType: string): PruningMethod[] {
  const attention = FAMILIES[modelType]?.attention;
  return SCORERS.filter((s) => {
    const kind = s.needs(24, {}).kind;
    return kind === 'none' || kind === attention;
  }).map((s) => s.method);
}
