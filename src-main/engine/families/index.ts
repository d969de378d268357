// Model families by config.json `model_type`, with whether their vision encoder has a [CLS] token (which
// decides the attention it offers for scoring tokens, and so the pruning methods a model supports).
import type { PruningMethod } from '../../../src-shared/api';
import { EngineError } from '../errors';
import type { ModelFolder } from '../model/read-model-folder';
import { SCORERS } from '../pruning/scorers/index';
import type { TextTokenizer } from '../text/tokenizer';
import { attentionKinds, type FamilyFactory, type ModelFamily } from './family';
import { createIdefics3Family } from './idefics3/family';
import { createLlavaFamily } from './llava/family';

interface FamilyEntry {
  create: FamilyFactory;
  /** CLIP towers put a [CLS] token first; SigLIP (Idefics3, SmolVLM) has none. */
  clsToken: boolean;
}

const IDEFICS3: FamilyEntry = { create: createIdefics3Family, clsToken: false };

const FAMILIES: Record<string, FamilyEntry> = {
  idefics3: IDEFICS3,
  smolvlm: IDEFICS3,
  llava: { create: createLlavaFamily, clsToken: true },
};

export function createFamily(folder: ModelFolder, tokenizer: TextTokenizer): ModelFamily {
  const entry = FAMILIES[folder.config.model_type];
  if (!entry) {
    throw new EngineError(
      'MODEL_MISMATCH',
      `model type '${folder.config.model_type}' is not supported (supported: ${Object.keys(FAMILIES).join(', ')})`,
    );
  }
  return { ...entry.create(folder, tokenizer), clsToken: entry.clsToken };
}

/** Pruning methods a model of this type can run: the baselines, and those whose attention kind it offers. */
export function supportedMethods(modelType: string): PruningMethod[] {
  const entry = FAMILIES[modelType];
  const offered: string[] = entry ? attentionKinds(entry.clsToken) : [];
  return SCORERS.filter((s) => {
    const kind = s.needs(24, {}).kind;
    return kind === 'none' || offered.includes(kind);
  }).map((s) => s.method);
}
