// A model manifest (models/manifests/<id>.json) names a model's Hugging Face repository, every file the
// application may download from it with its size and sha256, and which ONNX file each module loads per variant.
import { readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EngineError } from '../errors';
import { readJsonIfExists } from './json-file';

/** A file as a download must check it: its size, and its sha256 unless the user took it unchecked. */
export interface ExpectedFile {
  bytes: number;
  sha256?: string;
  /** Who stated them, for messages; the manifest when absent. */
  statedBy?: string;
}

/** A file as the manifest lists it; where it gives no size or sha256, the server's own statement is used. */
export interface ManifestFile {
  bytes?: number;
  sha256?: string;
}

export interface ModelManifest {
  id: string;
  name: string;
  family: string;
  /** Hugging Face repository id, e.g. `HuggingFaceTB/SmolVLM-256M-Instruct`. */
  repo: string;
  revision: string;
  license: string;
  /** Files every variant needs (configs, tokenizer). */
  common: string[];
  /** The ONNX modules a complete model has, e.g. vision_encoder, embed_tokens, decoder_model_merged. */
  modules: string[];
  defaultVariant: string;
  /** variant -> module -> file. A variant may lack some modules; those come from the default variant. */
  variants: Record<string, Record<string, string>>;
  files: Record<string, ManifestFile>;
}

/** models/manifests in the repository, unless VTC_MANIFESTS_DIR points at another catalogue (tests, private mirrors). */
export function manifestsDir(env: Record<string, string | undefined> = process.env): string {
  return env.VTC_MANIFESTS_DIR || join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'models', 'manifests');
}

const SHA256_HEX = /^[0-9a-f]{64}$/;
// Ids name folders (`<data>/models/<id>`) and file paths name files inside them, so both are held to a set of
// characters that means the same on every OS: no separators, no drive letters, no `..`, nothing to escape.
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const SAFE_PATH_PART = /^[A-Za-z0-9._-]{1,255}$/;

/** An id that can name a folder inside the models folder and nothing outside it. */
export function isSafeModelId(id: unknown): id is string {
  return typeof id === 'string' && SAFE_NAME.test(id) && !id.includes('..');
}

/** A relative path inside the repository, with no way out of the model folder. */
function isSafeRepoPath(path: string): boolean {
  return path.split('/').every((part) => SAFE_PATH_PART.test(part) && !part.includes('..') && part !== '.');
}

function fail(source: string, why: string): never {
  throw new EngineError('BAD_ARGUMENT', `model manifest ${source}: ${why}`);
}

function stringField(obj: Record<string, unknown>, key: string, source: string): string {
  const v = obj[key];
  if (typeof v !== 'string' || v === '') fail(source, `'${key}' must be a non-empty string`);
  return v;
}

function stringArray(obj: Record<string, unknown>, key: string, source: string): string[] {
  const v = obj[key];
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string' && s !== '')) fail(source, `'${key}' must be a list of strings`);
  return v as string[];
}

function record(v: unknown, what: string, source: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(source, `${what} must be an object`);
  return v as Record<string, unknown>;
}

/** Checks every field a download relies on, so a bad manifest fails here with a precise reason. */
export function parseManifest(value: unknown, source: string): ModelManifest {
  const obj = record(value, 'the manifest', source);
  const files: Record<string, ManifestFile> = {};
  for (const [path, entry] of Object.entries(record(obj.files, "'files'", source))) {
    if (!isSafeRepoPath(path))
      fail(source, `file path '${path}' must be relative, inside the repository, made of letters, digits, '.', '_', '-' and '/'`);
    const e = record(entry, `files['${path}']`, source);
    if (e.bytes !== undefined && (!Number.isSafeInteger(e.bytes) || (e.bytes as number) < 0))
      fail(source, `files['${path}'].bytes must be a byte count`);
    if (e.sha256 !== undefined && (typeof e.sha256 !== 'string' || !SHA256_HEX.test(e.sha256)))
      fail(source, `files['${path}'].sha256 must be 64 lowercase hex digits`);
    files[path] = { bytes: e.bytes as number | undefined, sha256: e.sha256 as string | undefined };
  }
  const modules = stringArray(obj, 'modules', source);
  const variants: Record<string, Record<string, string>> = {};
  for (const [variant, map] of Object.entries(record(obj.variants, "'variants'", source))) {
    variants[variant] = {};
    for (const [module, file] of Object.entries(record(map, `variants['${variant}']`, source))) {
      if (!modules.includes(module)) fail(source, `variant '${variant}' names unknown module '${module}'`);
      if (typeof file !== 'string' || !(file in files)) fail(source, `variant '${variant}' module '${module}' names a file not in 'files'`);
      variants[variant][module] = file;
    }
  }
  const manifest: ModelManifest = {
    id: stringField(obj, 'id', source),
    name: stringField(obj, 'name', source),
    family: stringField(obj, 'family', source),
    repo: stringField(obj, 'repo', source),
    revision: stringField(obj, 'revision', source),
    license: stringField(obj, 'license', source),
    common: stringArray(obj, 'common', source),
    modules,
    defaultVariant: stringField(obj, 'defaultVariant', source),
    variants,
    files,
  };
  if (!isSafeModelId(manifest.id))
    fail(source, `'id' '${manifest.id}' must be letters, digits, '.', '_' and '-' (it names the model's folder)`);
  const [owner, name, ...rest] = manifest.repo.split('/');
  if (rest.length > 0 || !isSafeModelId(owner) || !isSafeModelId(name)) fail(source, `'repo' '${manifest.repo}' must be <owner>/<name>`);
  for (const path of manifest.common) if (!(path in files)) fail(source, `common file '${path}' is not in 'files'`);
  const defaults = variants[manifest.defaultVariant];
  if (!defaults) fail(source, `default variant '${manifest.defaultVariant}' is not in 'variants'`);
  for (const module of modules) if (!defaults[module]) fail(source, `default variant lacks module '${module}'`);
  return manifest;
}

// listModels runs on every question: one warning per bad manifest per process is enough.
const warnedProblems = new Set<string>();

export interface ManifestProblem {
  file: string;
  reason: string;
}

/**
 * Every valid manifest in `dir`. One bad manifest must not hide the others (nor the installed models): it is
 * skipped, and reported in `problems` and as a warning.
 */
export async function loadManifestsReport(dir = manifestsDir()): Promise<{ manifests: ModelManifest[]; problems: ManifestProblem[] }> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((f) => f.endsWith('.json')).sort();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw e;
    throw new EngineError(
      'FILE_NOT_FOUND',
      `The model manifests folder ${dir} does not exist or is not a folder. Check VTC_MANIFESTS_DIR, or reinstall the app.`,
    );
  }
  const manifests: ModelManifest[] = [];
  const problems: ManifestProblem[] = [];
  for (const name of names) {
    const file = join(dir, name);
    try {
      manifests.push(parseManifest(await readJsonIfExists(file), file));
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      problems.push({ file, reason });
      if (!warnedProblems.has(reason)) console.warn(`Skipped a model manifest: ${reason}`);
      warnedProblems.add(reason);
    }
  }
  return { manifests, problems };
}

export async function loadManifests(dir = manifestsDir()): Promise<ModelManifest[]> {
  return (await loadManifestsReport(dir)).manifests;
}

export async function loadManifest(modelId: string, dir = manifestsDir()): Promise<ModelManifest> {
  const { manifests, problems } = await loadManifestsReport(dir);
  const found = manifests.find((m) => m.id === modelId);
  if (!found) {
    // The usual file name for the id: its manifest is there but was refused, which says more than "unknown".
    const own = problems.find((p) => basename(p.file) === `${modelId}.json`);
    if (own) throw new EngineError('BAD_ARGUMENT', own.reason);
    const known = manifests.map((m) => m.id).join(', ') || 'none';
    throw new EngineError('BAD_ARGUMENT', `unknown model '${modelId}' (known models: ${known})`);
  }
  return found;
}

/** module -> file for a variant; modules the variant lacks keep the default variant's file. */
export function variantModuleFiles(manifest: ModelManifest, variant = manifest.defaultVariant): Record<string, string> {
  const chosen = manifest.variants[variant];
  if (!chosen) {
    throw new EngineError(
      'VARIANT_MISSING',
      `model '${manifest.id}' has no variant '${variant}' (variants: ${Object.keys(manifest.variants).join(', ')})`,
    );
  }
  return { ...manifest.variants[manifest.defaultVariant], ...chosen };
}

/** Every file a variant needs, common files first, each once. */
export function variantFiles(manifest: ModelManifest, variant = manifest.defaultVariant): string[] {
  return [...new Set([...manifest.common, ...Object.values(variantModuleFiles(manifest, variant))])];
}

export function downloadBytes(manifest: ModelManifest, variant = manifest.defaultVariant): number {
  // A file of unknown size counts as nothing: the figure is then a lower bound.
  return variantFiles(manifest, variant).reduce((sum, path) => sum + (manifest.files[path].bytes ?? 0), 0);
}
