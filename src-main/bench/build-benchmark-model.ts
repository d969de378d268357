// Builds a benchmark model (see engine/catalog/benchmark-models.ts) into the data folder on first use: its
// committed script runs under Debian's Python with torch and onnx, writes a folder beside the models folder,
// and the folder is renamed into place only when complete, so a cut build never looks like a model.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { isBuilt, type BenchmarkModel } from '../engine/catalog/benchmark-models';
import { modelsRoot, userDataDir } from '../engine/catalog/data-dir';
import { EngineError } from '../engine/errors';

/** Debian's interpreter: python3-torch and python3-onnx install there, not into a pyenv `python3` first on PATH. */
export const DEBIAN_PYTHON = '/usr/bin/python3';

export interface BuildOptions {
  dataDir?: string;
  python?: string;
  /** One line per build step ("step 2/6 export embed_tokens (fp32)"). */
  onProgress?: (line: string) => void;
}

interface Exit {
  code: number | null;
  output: string;
}

function runPython(python: string, args: string[], onLine?: (line: string) => void): Promise<Exit> {
  return new Promise((resolve) => {
    const child = spawn(python, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let pending = '';
    child.stdout.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) if (line.trim()) onLine?.(line.trim());
    });
    // Keep the end of stderr: a failed build says why in its last lines.
    child.stderr.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
    child.on('error', (e) => resolve({ code: null, output: e.message }));
    child.on('close', (code) => resolve({ code, output }));
  });
}

/** The model's folder, built first when it is not there. */
export async function ensureBenchmarkModel(model: BenchmarkModel, options: BuildOptions = {}): Promise<string> {
  const dataDir = options.dataDir ?? userDataDir();
  const dir = join(modelsRoot(dataDir), model.id);
  if (isBuilt(dir)) return dir;
  const python = options.python ?? DEBIAN_PYTHON;
  const check = await runPython(python, ['-c', 'import torch, onnx']);
  if (check.code !== 0) {
    throw new EngineError(
      'MODEL_INCOMPLETE',
      `building ${model.id} needs ${python} with torch and onnx: install Debian's python3-torch and python3-onnx (sudo apt-get install python3-torch python3-onnx)`,
    );
  }
  if (!existsSync(model.script)) {
    throw new EngineError(
      'FILE_NOT_FOUND',
      `building ${model.id} needs its script ${model.script}, which is in the repository: run vtc from a checkout`,
    );
  }
  const building = join(dataDir, 'cache', 'build', `${model.id}.${process.pid}.${randomUUID()}`);
  mkdirSync(building, { recursive: true });
  try {
    const run = await runPython(python, [model.script, building], options.onProgress);
    if (run.code !== 0) {
      const reason = run.output.trim().split('\n').at(-1) ?? `exit code ${run.code}`;
      throw new EngineError('MODEL_INCOMPLETE', `building ${model.id} failed: ${reason}`);
    }
    mkdirSync(modelsRoot(dataDir), { recursive: true });
    try {
      renameSync(building, dir);
    } catch (e) {
      // Another build finished first: its model is as good as ours.
      if (!isBuilt(dir)) throw e;
    }
    return dir;
  } finally {
    rmSync(building, { recursive: true, force: true });
  }
}
