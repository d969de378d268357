// Options every model-running command shares, and turning them into a loaded Engine.
import type { Budget, SamplingOptions } from '../../src-shared/api';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { BENCHMARK_MODELS } from '../engine/catalog/benchmark-models';
import { findInstalledModel, hasRandomWeights } from '../engine/catalog/model-catalog';
import { Engine, type EngineOptions } from '../engine/engine';
import { CROP_SELECTIONS, type CropBudget, type CropSelection } from '../engine/vision/crop-budget';
import { CliUsageError, intOption, numberOption, requireOption } from './args';

export const ENGINE_OPTIONS = {
  model: { type: 'string' },
  ep: { type: 'string' },
  threads: { type: 'string' },
  variant: { type: 'string' },
  'cache-dir': { type: 'string' },
} as const;

/** A crop budget (vision/crop-budget.ts): `--crops 0.5`, chosen by attention or, `--crop-select downsample`, by a smaller resize. */
export const CROP_OPTIONS = {
  crops: { type: 'string' },
  'crop-select': { type: 'string' },
} as const;

export const QUESTION_OPTIONS = {
  ...CROP_OPTIONS,
  image: { type: 'string' },
  prompt: { type: 'string' },
  'max-new-tokens': { type: 'string' },
  temperature: { type: 'string' },
  'top-p': { type: 'string' },
  seed: { type: 'string' },
  json: { type: 'boolean' },
} as const;

type Values = Record<string, string | boolean | undefined>;

export function engineOptions(values: Values): EngineOptions {
  return {
    ep: (values.ep as EngineOptions['ep']) ?? 'cpu',
    threads: threadsOption(values),
    variant: values.variant as string | undefined,
    cacheDir: values['cache-dir'] as string | undefined,
  };
}

/** `--threads N`: 0 (the default) lets onnxruntime choose; the engine refuses more than the machine runs at once. */
function threadsOption(values: Values): number {
  const threads = intOption(values, 'threads', 0);
  const limit = availableParallelism();
  if (threads > limit) {
    throw new CliUsageError(
      `--threads must be at most ${limit} (this machine's processor threads; 0 lets onnxruntime choose), got '${String(values.threads)}'`,
    );
  }
  return threads;
}

/** `--model` is a model folder, or the id of an installed or embedded model (see `vtc models list`). */
export async function resolveModelDir(model: string): Promise<string> {
  if (existsSync(model) || model.includes('/') || model.includes('\\')) return model;
  return (await findInstalledModel(model, { benchmarkModels: BENCHMARK_MODELS })).dir;
}

/** Said after an answer from a model whose weights are random, so nobody takes its words for an answer. */
export function warnIfRandomWeights(engine: Engine): void {
  if (hasRandomWeights(engine.modelId)) {
    console.error(`vtc: warning: ${engine.modelId} has random weights (a test model): its answers are meaningless`);
  }
}

export async function loadEngine(values: Values): Promise<Engine> {
  const options = engineOptions(values);
  return Engine.load(await resolveModelDir(requireOption(values, 'model')), options);
}

export function samplingOptions(values: Values): SamplingOptions {
  return {
    temperature: numberOption(values, 'temperature', 0),
    topP: numberOption(values, 'top-p', 1),
    seed: values.seed === undefined ? undefined : intOption(values, 'seed', 0),
  };
}

// Exactly the two forms `--keep` documents; Number() would also read '0x10' as 16, '1e-1' as 0.1 and ' 64' as 64.
const RATIO_FORM = /^\d*\.\d+$/;
const COUNT_FORM = /^\d+$/;

/**
 * `--keep 0.25` (a fraction in (0, 1], written with a decimal point) or `--keep 64` (a count of visual tokens, at
 * least 1). Checked here, before any model loads; only "more tokens than this photo has" needs the model.
 */
export function parseBudget(text: string): Budget {
  const ratio = RATIO_FORM.test(text) ? Number(text) : Number.NaN;
  if (ratio > 0 && ratio <= 1) return { kind: 'ratio', ratio };
  const count = COUNT_FORM.test(text) ? Number(text) : Number.NaN;
  if (Number.isSafeInteger(count) && count >= 1) return { kind: 'count', count };
  throw new CliUsageError(
    `--keep must be a fraction in (0, 1] with a decimal point (0.25, .5, 1.0) or a whole number of tokens >= 1 (64), got '${text}'`,
  );
}

/** `--positions`: 'contiguous' (default, as the paper) or 'original' position ids for the kept tokens. */
export function parsePositions(text: string | undefined): 'contiguous' | 'original' {
  const positions = text ?? 'contiguous';
  if (positions !== 'contiguous' && positions !== 'original') {
    throw new CliUsageError(`--positions must be contiguous or original, got '${positions}'`);
  }
  return positions;
}

/** `--crops F` (a fraction in (0, 1] with a decimal point) and `--crop-select attention|downsample`; none without `--crops`. */
export function parseCrops(values: Values): CropBudget | undefined {
  const text = values.crops as string | undefined;
  const select = (values['crop-select'] as string | undefined) ?? 'attention';
  if (text === undefined) {
    if (values['crop-select'] !== undefined) throw new CliUsageError('--crop-select needs --crops');
    return undefined;
  }
  const fraction = RATIO_FORM.test(text) ? Number(text) : Number.NaN;
  if (!(fraction > 0 && fraction <= 1))
    throw new CliUsageError(`--crops must be a fraction in (0, 1] with a decimal point (0.5, .25, 1.0), got '${text}'`);
  if (!(CROP_SELECTIONS as readonly string[]).includes(select)) {
    throw new CliUsageError(`--crop-select must be one of ${CROP_SELECTIONS.join(', ')}, got '${select}'`);
  }
  return { fraction, select: select as CropSelection };
}
