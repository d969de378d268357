// Models made for `vtc bench` alone: real dimensions, seeded random weights, built on this machine by a committed
// script instead of downloaded. Their answers are gibberish, so the app never offers them (see ModelInfo.benchmark).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface BenchmarkModel {
  id: string;
  name: string;
  family: string;
  /** The script that writes the model folder, given the folder as its one argument. */
  script: string;
  /** What a build writes (fp32 and int8 of every module, the configs and tokenizer), measured. */
  bytes: number;
}

const SCRIPTS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'models', 'scripts');

export const SHAPE_TRUE_SMOLVLM: BenchmarkModel = {
  id: 'smolvlm-256m-shape',
  name: 'SmolVLM 256M shape (benchmark: real sizes, random weights)',
  family: 'idefics3',
  script: join(SCRIPTS_DIR, 'build_shape_true_smolvlm.py'),
  bytes: 1_290_637_518,
};

export const BENCHMARK_MODELS: readonly BenchmarkModel[] = [SHAPE_TRUE_SMOLVLM];

/** A build writes the folder elsewhere and renames it into place when complete, so a folder here is a whole model. */
export function isBuilt(dir: string): boolean {
  return existsSync(join(dir, 'config.json'));
}
