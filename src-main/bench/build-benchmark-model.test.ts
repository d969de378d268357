import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SHAPE_TRUE_SMOLVLM, type BenchmarkModel } from '../engine/catalog/benchmark-models';
import { findInstalledModel, listModels } from '../engine/catalog/model-catalog';
import { engineErrorOf } from '../engine/test/engine-errors';
import { ensureBenchmarkModel } from './build-benchmark-model';

const tmp = mkdtempSync(join(tmpdir(), 'vtc-bench-build-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function executable(name: string, text: string): string {
  const path = join(tmp, name);
  writeFileSync(path, text);
  chmodSync(path, 0o755);
  return path;
}

// Stand-ins for Debian's python: one with torch and onnx (runs the script with sh), one without.
const python = executable('python-ok', '#!/bin/sh\n[ "$1" = "-c" ] && exit 0\nexec /bin/sh "$@"\n');
const pythonWithoutTorch = executable('python-bare', '#!/bin/sh\necho "ModuleNotFoundError: No module named \'torch\'" >&2\nexit 1\n');

// The real model's id and entry, with a stand-in script: the catalogue knows benchmark models by id.
const ID = SHAPE_TRUE_SMOLVLM.id;
const model = (script: string): BenchmarkModel => ({ ...SHAPE_TRUE_SMOLVLM, script });
const builder = executable(
  'build.sh',
  'echo "step 1/2 export"\necho "step 2/2 quantize"\necho \'{"model_type": "idefics3"}\' > "$1/config.json"\n',
);
const emptyDirs = { manifestsDir: join(tmp, 'no-manifests'), fixturesDir: join(tmp, 'no-fixtures') };
mkdirSync(emptyDirs.manifestsDir);

describe('ensureBenchmarkModel', () => {
  it('builds the model into <data>/models/<id> with one progress line per step, then reuses it', async () => {
    const dataDir = join(tmp, 'data');
    const lines: string[] = [];
    const dir = await ensureBenchmarkModel(model(builder), { dataDir, python, onProgress: (l) => lines.push(l) });
    expect(dir).toBe(join(dataDir, 'models', ID));
    expect(lines).toEqual(['step 1/2 export', 'step 2/2 quantize']);
    expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'))).toEqual({ model_type: 'idefics3' });
    // Nothing is left of the build folder.
    expect(readdirSync(join(dataDir, 'cache', 'build'))).toEqual([]);
    lines.length = 0;
    expect(await ensureBenchmarkModel(model(join(tmp, 'absent.sh')), { dataDir, python, onProgress: (l) => lines.push(l) })).toBe(dir);
    expect(lines).toEqual([]);
  });

  it('says plainly what to install when python3-torch or python3-onnx is missing', async () => {
    const e = await engineErrorOf(ensureBenchmarkModel(model(builder), { dataDir: join(tmp, 'bare'), python: pythonWithoutTorch }));
    expect([e.code, e.message]).toEqual([
      'MODEL_INCOMPLETE',
      `building ${ID} needs ${pythonWithoutTorch} with torch and onnx: install Debian's python3-torch and python3-onnx (sudo apt-get install python3-torch python3-onnx)`,
    ]);
    const absent = await engineErrorOf(
      ensureBenchmarkModel(model(builder), { dataDir: join(tmp, 'bare'), python: join(tmp, 'no-python') }),
    );
    expect(absent.message).toMatch(/^building smolvlm-256m-shape needs .*no-python with torch and onnx: install Debian's python3-torch/);
  });

  it('leaves no model folder behind when the build fails, and gives its last error line', async () => {
    const dataDir = join(tmp, 'failing');
    const failing = executable(
      'fail.sh',
      'echo "step 1/2 export"\necho \'{}\' > "$1/config.json"\necho "Traceback ..." >&2\necho "MemoryError: out of memory" >&2\nexit 1\n',
    );
    const e = await engineErrorOf(ensureBenchmarkModel(model(failing), { dataDir, python }));
    expect([e.code, e.message]).toEqual(['MODEL_INCOMPLETE', `building ${ID} failed: MemoryError: out of memory`]);
    expect(existsSync(join(dataDir, 'models', ID))).toBe(false);
    expect(readdirSync(join(dataDir, 'cache', 'build'))).toEqual([]);
  });
});

describe('benchmark models in the catalogue', () => {
  it('lists one that is not built with its build size and says how to build it; built, with its folder', async () => {
    const dataDir = join(tmp, 'catalog');
    const options = { dataDir, ...emptyDirs, benchmarkModels: [model(builder)] };
    expect(await listModels(options)).toEqual([
      {
        id: ID,
        name: SHAPE_TRUE_SMOLVLM.name,
        installed: false,
        bytes: SHAPE_TRUE_SMOLVLM.bytes,
        family: 'idefics3',
        embedded: false,
        benchmark: true,
        methods: ['received', 'fastv', 'pool', 'random', 'uniform'],
        randomWeights: true,
      },
    ]);
    const e = await engineErrorOf(findInstalledModel(ID, options));
    expect([e.code, e.message]).toEqual([
      'MODEL_INCOMPLETE',
      `model '${ID}' is a benchmark model built on this machine: run \`vtc bench --model ${ID}\` to build it`,
    ]);

    const dir = await ensureBenchmarkModel(model(builder), { dataDir, python });
    expect(await listModels(options)).toMatchObject([{ id: ID, installed: true, dir, benchmark: true }]);
    expect((await findInstalledModel(ID, options)).dir).toBe(dir);
  });

  it('is not offered where benchmark models are not asked for (the app), not even once built', async () => {
    const dataDir = join(tmp, 'catalog');
    expect((await listModels({ dataDir, ...emptyDirs })).map((m) => m.id)).toEqual([]);
  });
});
