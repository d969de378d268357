// Model folders a person pointed the app at (kept where they are, not copied), remembered in
// `<data>/imported-models.json`.
import { join } from 'node:path';
import { readJsonIfExists, writeJsonAtomic } from './json-file';

export interface ImportedModel {
  id: string;
  dir: string;
  family: string;
}

const registryPath = (dataDir: string) => join(dataDir, 'imported-models.json');

export async function readImportedModels(dataDir: string): Promise<ImportedModel[]> {
  const value = await readJsonIfExists(registryPath(dataDir));
  if (value === undefined) return [];
  const models = (value as { models?: unknown }).models;
  if (!Array.isArray(models)) throw new Error(`${registryPath(dataDir)}: expected { "models": [...] }`);
  return models as ImportedModel[];
}

export function writeImportedModels(dataDir: string, models: ImportedModel[]): Promise<void> {
  return writeJsonAtomic(registryPath(dataDir), { models });
}
