// Options every model-running command shares, and turning them into a loaded Engine.
import type { Budget, SamplingOptions } from '../../src-shared/api';
import { existsSync } from 'node:fs';
import { findInstalledModel } from '../engine/catalog/model-catalog';
import { Engine, type EngineOptions } from '../engine/engine';
import { CliUsageError, intOption, numberOption, requireOption } from './args';

export const ENGINE_OPTIONS = {
  model: { type: 'string' },
  ep: { type: 'string' },
  threads: { type: 'string' },
  variant: { type: 'string' },
  'cache-dir': { type: 'string' },
} as const;

export const QUESTION_OPTIONS = {
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
    threads: intOption(values, 'threads', 0),
    variant: values.variant as string | undefined,
    cacheDir: values['cache-dir'] as string | undefined,
  };
}

/** `--model` is a model folder, or the id of an installed or embedded model (see `vtc models list`). */
export async function resolveModelDir(model: string): Promise<string> {
  if (existsSync(model) || model.includes('/') || model.includes('\\')) return model;
  return (await findInstalledModel(model)).dir;
}

export async function loadEngine(values: Values): Promise<Engine> {
  return Engine.load(await resolveModelDir(requireOption(values, 'model')), engineOptions(values));
}

export function samplingOptions(values: Values): SamplingOptions {
  return {
    temperature: numberOption(values, 'temperature', 0),
    topP: numberOption(values, 'top-p', 1),
    seed: values.seed === undefined ? undefined : intOption(values, 'seed', 0),
  };
}

/** `--keep 0.25` (a fraction, written with a decimal point) or `--keep 64` (a count of visual tokens). */
export function parseBudget(text: string): Budget {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n)) throw new CliUsageError(`--keep must be a fraction like 0.25 or a token count like 64, got '${text}'`);
  return text.includes('.') ? { kind: 'ratio', ratio: n } : { kind: 'count', count: n };
}

/** `--positions`: 'contiguous' (default, as the paper) or 'original' position ids for the kept tokens. */
export function parsePositions(text: string | undefined): 'contiguous' | 'original' {
  const positions = text ?? 'contiguous';
  if (positions !== 'contiguous' && positions !== 'original') {
    throw new CliUsageError(`--positions must be contiguous or original, got '${positions}'`);
  }
  return positions;
}
