// Every model the app can offer: known ones (a manifest, downloadable), downloaded ones, folders a person
// imported, and the tiny test models embedded in the repository. One list, one `ModelInfo` per id.
import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ModelInfo } from '../../../src-shared/api';
import { EngineError } from '../errors';
import { supportedMethods } from '../families/index';
import { hasTokenCompressor } from '../ranking/question-ranking';
import { modelsRoot, userDataDir } from './data-dir';
import { readImportedModels, writeImportedModels } from './imported-registry';
import { BENCHMARK_MODELS, isBuilt, type BenchmarkModel } from './benchmark-models';
import { downloadBytes, loadManifests } from './manifest';
import { folderBytes, isCompleteInstall, readModelType } from './folder-facts';

export const DEFAULT_FIXTURES_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'models', 'fixtures');

export interface CatalogOptions {
  dataDir?: string;
  manifestsDir?: string;
  fixturesDir?: string;
  /** Built-on-this-machine models to list too; the CLI lists them for `vtc bench`, the app never does. */
  benchmarkModels?: readonly BenchmarkModel[];
}

async function subfolders(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  return (await readdir(dir, { withFileTypes: true }))
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}

/**
 * Embedded test fixtures whose weights are random (models/fixtures/<id>/README.md says how each is built): they
 * run the whole path quickly, but what they write is gibberish, so nothing offers them as answering models.
 */
export const RANDOM_WEIGHT_FIXTURES: readonly string[] = ['tiny-phi3v', 'tiny-smolvlm'];

/** Whether a model's answers are meaningless: a random-weight fixture or a benchmark model. */
export function hasRandomWeights(id: string): boolean {
  return RANDOM_WEIGHT_FIXTURES.includes(id) || BENCHMARK_MODELS.some((b) => b.id === id);
}

/** A folder with a config.json, described as installed; undefined for anything else. */
async function folderModel(id: string, dir: string, embedded: boolean): Promise<CatalogEntry | undefined> {
  const family = await readModelType(dir);
  if (family === undefined) return undefined;
  const random = embedded && RANDOM_WEIGHT_FIXTURES.includes(id) ? { randomWeights: true } : {};
  return { id, name: id, dir, installed: true, bytes: await folderBytes(dir), family, embedded, ...random };
}

/** What the catalogue finds; the supported pruning methods follow from the family. */
type CatalogEntry = Omit<ModelInfo, 'methods'>;

const withMethods = (m: CatalogEntry): ModelInfo => ({
  ...m,
  methods: supportedMethods(m.family, m.dir !== undefined && hasTokenCompressor(m.dir)),
});

export async function listModels(options: CatalogOptions = {}): Promise<ModelInfo[]> {
  const dataDir = options.dataDir ?? userDataDir();
  const root = modelsRoot(dataDir);
  const models: CatalogEntry[] = [];

  const manifests = await loadManifests(options.manifestsDir);
  for (const m of manifests) {
    const dir = join(root, m.id);
    const installed = isCompleteInstall(dir, m);
    models.push({
      id: m.id,
      name: m.name,
      ...(installed ? { dir } : {}),
      installed,
      bytes: installed ? await folderBytes(dir) : downloadBytes(m),
      family: m.family,
      embedded: false,
    });
  }
  for (const b of options.benchmarkModels ?? []) {
    const dir = join(root, b.id);
    const installed = isBuilt(dir);
    const bytes = installed ? await folderBytes(dir) : b.bytes;
    models.push({
      id: b.id,
      name: b.name,
      ...(installed ? { dir } : {}),
      installed,
      bytes,
      family: b.family,
      embedded: false,
      benchmark: true,
      randomWeights: true,
    });
  }
  // A built benchmark model's folder is in the models folder: never list it as a plain model.
  const seen = new Set([...models.map((m) => m.id), ...BENCHMARK_MODELS.map((b) => b.id)]);
  const add = (info: CatalogEntry | undefined) => {
    if (info && !seen.has(info.id)) {
      seen.add(info.id);
      models.push(info);
    }
  };
  // Folders copied into the models folder by hand have no manifest but are as usable.
  for (const name of await subfolders(root)) if (!seen.has(name)) add(await folderModel(name, join(root, name), false));
  for (const entry of await readImportedModels(dataDir)) {
    const present = existsSync(join(entry.dir, 'config.json'));
    add({
      id: entry.id,
      name: basename(entry.dir),
      dir: entry.dir,
      installed: present,
      bytes: present ? await folderBytes(entry.dir) : 0,
      family: entry.family,
      embedded: false,
    });
  }
  const fixturesDir = options.fixturesDir ?? DEFAULT_FIXTURES_DIR;
  for (const name of await subfolders(fixturesDir)) add(await folderModel(name, join(fixturesDir, name), true));
  return models.map(withMethods);
}

/** The installed model with this id, or an error saying how to get it. */
export async function findInstalledModel(id: string, options: CatalogOptions = {}): Promise<ModelInfo & { dir: string }> {
  const models = await listModels(options);
  const found = models.find((m) => m.id === id);
  if (!found) {
    throw new EngineError('BAD_ARGUMENT', `unknown model '${id}' (models: ${models.map((m) => m.id).join(', ') || 'none'})`);
  }
  if (found.benchmark && !found.installed) {
    throw new EngineError(
      'MODEL_INCOMPLETE',
      `model '${id}' is a benchmark model built on this machine: run \`vtc bench --model ${id}\` to build it`,
    );
  }
  if (!found.installed || !found.dir) {
    throw new EngineError('MODEL_INCOMPLETE', `model '${id}' is not downloaded yet: run \`vtc models pull ${id}\``);
  }
  return { ...found, dir: found.dir };
}

/** Lower-case letters, digits and dashes, from a folder name. */
export function modelIdFromFolderName(name: string): string {
  return (
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'model'
  );
}

/**
 * Registers a model folder that stays where it is. Only config.json is checked here: the engine validates the
 * ONNX files when it loads them. Importing the same folder twice returns the first registration.
 */
export async function importModelFolder(dir: string, options: CatalogOptions = {}): Promise<ModelInfo> {
  const dataDir = options.dataDir ?? userDataDir();
  const absolute = resolve(dir);
  const stats = await stat(absolute).catch(() => undefined);
  if (!stats) throw new EngineError('FILE_NOT_FOUND', `folder not found: ${absolute}`);
  if (!stats.isDirectory()) throw new EngineError('BAD_ARGUMENT', `${absolute} is a file; choose the model's folder`);
  if (!existsSync(join(absolute, 'config.json'))) {
    throw new EngineError('MODEL_INCOMPLETE', `${absolute} has no config.json: not a Hugging Face model folder`);
  }
  const family = await readModelType(absolute);
  if (family === undefined) throw new EngineError('MODEL_INCOMPLETE', `${join(absolute, 'config.json')} is not valid JSON`);

  const imported = await readImportedModels(dataDir);
  const models = await listModels(options);
  const again = imported.find((m) => m.dir === absolute);
  if (again) return models.find((m) => m.id === again.id)!;

  const taken = new Set(models.map((m) => m.id));
  const stem = modelIdFromFolderName(basename(absolute));
  let id = stem;
  for (let n = 2; taken.has(id); n++) id = `${stem}-${n}`;
  await writeImportedModels(dataDir, [...imported, { id, dir: absolute, family }]);
  return withMethods({
    id,
    name: basename(absolute),
    dir: absolute,
    installed: true,
    bytes: await folderBytes(absolute),
    family,
    embedded: false,
  });
}
