// Reads a model folder in the Hugging Face / onnx-community layout and checks that it is complete and
// self-consistent before any session is created, so that a broken download fails with one message that names
// every missing piece instead of a runtime error deep inside onnxruntime.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { EngineError } from '../errors';
import { MODULES, parseOnnxFileName, variantSuffix, type ModelModule, type Variant } from './variants';

// Config files are read as published (any key, any nesting); each family checks the keys it uses.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = Record<string, any>;

export interface ModelFolder {
  dir: string;
  id: string;
  config: Json;
  preprocessorConfig: Json;
  processorConfig: Json;
  generationConfig: Json;
  tokenizerJson: Json;
  tokenizerConfig: Json;
  chatTemplate: string;
  /** module → variant → bytes on disk (graph + external data). */
  onnx: Map<ModelModule, Map<Variant, number>>;
}

const REQUIRED_JSON = ['config.json', 'preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json'] as const;

function readJson(dir: string, name: string): Json {
  const path = join(dir, name);
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Json;
  } catch (e) {
    throw new EngineError('MODEL_INCOMPLETE', `model folder ${dir}: ${name} is not valid JSON (${(e as Error).message})`);
  }
}

function readOptionalJson(dir: string, name: string): Json {
  return existsSync(join(dir, name)) ? readJson(dir, name) : {};
}

/** chat_template.jinja, then chat_template.json, then the tokenizer config's `chat_template` (as transformers does). */
function findChatTemplate(dir: string, tokenizerConfig: Json): string | undefined {
  const jinja = join(dir, 'chat_template.jinja');
  if (existsSync(jinja)) return readFileSync(jinja, 'utf8');
  const fromJson = readOptionalJson(dir, 'chat_template.json').chat_template;
  if (typeof fromJson === 'string') return fromJson;
  const fromTokenizer = tokenizerConfig.chat_template;
  return typeof fromTokenizer === 'string' ? fromTokenizer : undefined;
}

/** Size of a regular file; undefined for a folder or a dangling link (a hand-copied or half-linked cache). */
function fileBytes(path: string): number | undefined {
  try {
    const info = statSync(path);
    return info.isFile() ? info.size : undefined;
  } catch {
    return undefined;
  }
}

/** Bytes of the graph's external data files; undefined when one of them cannot be read. */
function externalDataBytes(onnxDir: string, files: string[], graphFile: string): number | undefined {
  // Large exports keep weights beside the graph as `<file>.onnx_data`, sometimes split as `_data_1`, `_data_2`...
  let sum = 0;
  for (const f of files.filter((name) => name.startsWith(`${graphFile}_data`))) {
    const bytes = fileBytes(join(onnxDir, f));
    if (bytes === undefined) return undefined;
    sum += bytes;
  }
  return sum;
}

function scanOnnx(dir: string, modules: readonly ModelModule[]): Map<ModelModule, Map<Variant, number>> {
  const onnxDir = join(dir, 'onnx');
  const found = new Map<ModelModule, Map<Variant, number>>();
  if (!existsSync(onnxDir) || !statSync(onnxDir).isDirectory()) return found;
  const files = readdirSync(onnxDir);
  for (const file of files) {
    const parsed = parseOnnxFileName(file, modules);
    if (!parsed) continue;
    // A graph that cannot be read counts as missing, so the folder check names it instead of crashing.
    const graph = fileBytes(join(onnxDir, file));
    const data = externalDataBytes(onnxDir, files, file);
    if (graph === undefined || data === undefined) continue;
    if (!found.has(parsed.module)) found.set(parsed.module, new Map());
    found.get(parsed.module)!.set(parsed.variant, graph + data);
  }
  return found;
}

export function onnxPath(folder: ModelFolder, module: ModelModule, variant: Variant): string {
  return join(folder.dir, 'onnx', `${module}${variantSuffix(variant)}.onnx`);
}

/** The modules a model type opens (its family's), undefined for a type no family serves. */
export type ModulesOf = (modelType: string) => readonly ModelModule[] | undefined;

/** The folder's family's modules; the usual three while config.json cannot say which family (the check then names it). */
function modulesOfFolder(dir: string, modulesOf: ModulesOf): readonly ModelModule[] {
  if (!existsSync(join(dir, 'config.json'))) return MODULES;
  const type = readJson(dir, 'config.json').model_type;
  return (typeof type === 'string' && modulesOf(type)) || MODULES;
}

/** `modulesOf` names the ONNX modules the folder must hold once config.json names the model type. */
export function readModelFolder(dirArg: string, modulesOf: ModulesOf = () => MODULES): ModelFolder {
  const dir = resolve(dirArg);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new EngineError('FILE_NOT_FOUND', `model folder not found: ${dir}`);
  }
  const missing: string[] = REQUIRED_JSON.filter((f) => !existsSync(join(dir, f)));
  const modules = modulesOfFolder(dir, modulesOf);
  const onnx = scanOnnx(dir, modules);
  for (const m of modules) if (!onnx.has(m)) missing.push(`onnx/${m}*.onnx`);
  const tokenizerConfig = existsSync(join(dir, 'tokenizer_config.json')) ? readJson(dir, 'tokenizer_config.json') : {};
  const chatTemplate = findChatTemplate(dir, tokenizerConfig);
  if (chatTemplate === undefined)
    missing.push('chat template (chat_template.jinja, chat_template.json or tokenizer_config.json chat_template)');
  if (missing.length > 0) {
    throw new EngineError('MODEL_INCOMPLETE', `model folder ${dir} is incomplete: missing ${missing.join(', ')}`);
  }
  const config = readJson(dir, 'config.json');
  if (typeof config.model_type !== 'string') {
    throw new EngineError('MODEL_MISMATCH', `model folder ${dir}: config.json has no model_type`);
  }
  return {
    dir,
    id: basename(dir),
    config,
    preprocessorConfig: readJson(dir, 'preprocessor_config.json'),
    processorConfig: readOptionalJson(dir, 'processor_config.json'),
    generationConfig: readOptionalJson(dir, 'generation_config.json'),
    tokenizerJson: readJson(dir, 'tokenizer.json'),
    tokenizerConfig,
    chatTemplate: chatTemplate!,
    onnx,
  };
}
