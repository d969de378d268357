// Model families by config.json `model_type`: each a folder beside this file exporting its FamilyDefinition (its
// modules, whether its vision encoder has a [CLS] token, which decides the attention it offers for scoring tokens
// and so the pruning methods a model supports, and its adapter).
import type { PruningMethod } from '../../../src-shared/api';
import { EngineError } from '../errors';
import type { ModelFolder } from '../model/read-model-folder';
import type { ModelModule } from '../model/variants';
import { SCORERS } from '../pruning/scorers/index';
import type { TextTokenizer } from '../text/tokenizer';
import { attentionKinds, type FamilyDefinition, type ModelFamily } from './family';
import { IDEFICS3_FAMILY } from './idefics3/family';
import { LLAVA_FAMILY } from './llava/family';
import { PHI3V_FAMILY } from './phi3v/family';

const FAMILIES: Record<string, FamilyDefinition> = {
  idefics3: IDEFICS3_FAMILY,
  smolvlm: IDEFICS3_FAMILY,
  llava: LLAVA_FAMILY,
  phi3_v: PHI3V_FAMILY,
};

/** The ONNX modules a model of this type opens; undefined for a type no family serves. */
export function familyModules(modelType: string): readonly ModelModule[] | undefined {
  const entry = FAMILIES[modelType];
  return entry && Object.values(entry.modules);
}

export function createFamily(folder: ModelFolder, tokenizer: TextTokenizer): ModelFamily {
  const entry = FAMILIES[folder.config.model_type];
  if (!entry) {
    throw new EngineError(
      'MODEL_MISMATCH',
      `model type '${folder.config.model_type}' is not supported (supported: ${Object.keys(FAMILIES).join(', ')})`,
    );
  }
  return { ...entry.create(folder, tokenizer), clsToken: entry.clsToken, modules: entry.modules };
}

/**
 * Pruning methods a model of this type can run: the baselines, those whose attention kind it offers, and the
 * trained `explain` where the model folder has its token compressor.
 */
export function supportedMethods(modelType: string, hasTokenCompressor = false): PruningMethod[] {
  const entry = FAMILIES[modelType];
  const offered: string[] = entry ? attentionKinds(entry.clsToken) : [];
  return SCORERS.filter((s) => {
    const needs = s.needs(24, {});
    if (needs.compressor && !hasTokenCompressor) return false;
    return needs.kind === 'none' || offered.includes(needs.kind);
  }).map((s) => s.method);
}
