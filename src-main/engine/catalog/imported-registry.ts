// Model folders a person pointed the app at (kept where they are, not copied), remembered in
// `<data>/imported-models.json`.
//
// A damaged registry (not JSON, the wrong shape, an entry with an unsafe id) must not take the model list
// down with it: the entries that are valid are used, the rest is ignored, and a copy of the damaged file is
// set aside as `imported-models.corrupt-<hash>.json` with a warning. Reading never changes the registry
// itself: `vtc models list` reads it beside a running app, so only the writer (the next import) replaces it.
import { createHash } from 'node:crypto';
import { access, readFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { writeFileAtomic } from '../storage/atomic-write';
import { writeJsonAtomic } from './json-file';
import { isSafeModelId } from './manifest';

export interface ImportedModel {
  id: string;
  dir: string;
  family: string;
}

const registryPath = (dataDir: string) => join(dataDir, 'imported-models.json');

function entryProblem(entry: unknown, i: number): string | undefined {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return `models[${i}] is not an object`;
  const { id, dir, family } = entry as Record<string, unknown>;
  if (!isSafeModelId(id)) return `models[${i}].id ${JSON.stringify(id)} is not a safe model id`;
  if (typeof dir !== 'string' || !isAbsolute(dir)) return `models[${i}].dir must be an absolute folder path`;
  if (typeof family !== 'string' || family === '') return `models[${i}].family must be a non-empty string`;
  return undefined;
}

/** The valid entries, and what is wrong with the file when something is. */
function parseRegistry(text: string): { models: ImportedModel[]; problem?: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { models: [], problem: `not valid JSON: ${(e as Error).message}` };
  }
  const models = (value as { models?: unknown } | null)?.models;
  if (!Array.isArray(models)) return { models: [], problem: 'expected { "models": [...] }' };
  const problems = models.map(entryProblem).filter((p) => p !== undefined);
  const good = models.filter((m, i) => entryProblem(m, i) === undefined) as ImportedModel[];
  return { models: good, ...(problems.length > 0 ? { problem: problems.join('; ') } : {}) };
}

export async function readImportedModels(dataDir: string): Promise<ImportedModel[]> {
  const file = registryPath(dataDir);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const { models, problem } = parseRegistry(text);
  if (problem) await setAside(dataDir, text, problem, models.length);
  return models;
}

/**
 * Keeps a copy of the damaged registry under a name from its content, so the copy is made and the warning
 * given once per damage, not on every read.
 */
async function setAside(dataDir: string, text: string, problem: string, kept: number): Promise<void> {
  const aside = join(dataDir, `imported-models.corrupt-${createHash('sha256').update(text).digest('hex').slice(0, 12)}.json`);
  if (
    await access(aside).then(
      () => true,
      () => false,
    )
  )
    return;
  const file = registryPath(dataDir);
  const keptText = kept > 0 ? `its ${kept} valid entr${kept === 1 ? 'y is' : 'ies are'} used` : 'it is treated as empty';
  try {
    await writeFileAtomic(aside, text);
  } catch (e) {
    console.warn(`${file} is damaged (${problem}); ${keptText}. It could not be copied aside: ${(e as Error).message}`);
    return;
  }
  console.warn(
    `${file} is damaged (${problem}); ${keptText}, and a copy was set aside as ${aside}. Import any missing model folder again.`,
  );
}

export function writeImportedModels(dataDir: string, models: ImportedModel[]): Promise<void> {
  return writeJsonAtomic(registryPath(dataDir), { models });
}
