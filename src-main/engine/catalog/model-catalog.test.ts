import { supportedMethods } from '../families/index';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { engineErrorOf } from '../test/engine-errors';
import { FIXTURE_MODEL_ID, writeFixtureModel } from '../test/download/fixture-model';
import { startHfFixtureServer } from '../test/download/hf-fixture-server';
import { pullModel } from '../download/pull-model';
import { downloadBytes, type ModelManifest } from './manifest';
import {
  findInstalledModel,
  hasRandomWeights,
  importModelFolder,
  listModels,
  modelIdFromFolderName,
  type CatalogOptions,
} from './model-catalog';
import { BENCHMARK_MODELS } from './benchmark-models';

let root: string;
let manifest: ModelManifest;
let options: CatalogOptions;

function modelFolder(dir: string, files: Record<string, string>): string {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'vtc-catalog-'));
  manifest = writeFixtureModel(join(root, 'served'), join(root, 'manifests'));
  options = { dataDir: join(root, 'data'), manifestsDir: join(root, 'manifests'), fixturesDir: join(root, 'fixtures') };
});

afterEach(() => rmSync(root, { recursive: true, force: true }));

const SUPPORTED_BY_LLAVA = supportedMethods('llava');

describe('listModels', () => {
  it('shows a known model that is not downloaded with its default download size', async () => {
    expect(await listModels(options)).toEqual([
      {
        id: FIXTURE_MODEL_ID,
        name: 'Tiny test VLM',
        installed: false,
        bytes: downloadBytes(manifest),
        family: 'idefics3',
        embedded: false,
        methods: ['received', 'fastv', 'pool', 'random', 'uniform'],
      },
    ]);
  });

  it('shows it installed, with its folder and size on disk, once pulled; a partial pull is not installed', async () => {
    const server = await startHfFixtureServer(join(root, 'served'));
    try {
      server.dropAfter.set('onnx/decoder_model_merged_q4.onnx', 5_000);
      await engineErrorOf(pullModel({ modelId: FIXTURE_MODEL_ID, baseUrl: server.base, ...options }));
      expect((await listModels(options))[0]).toMatchObject({ id: FIXTURE_MODEL_ID, installed: false, bytes: downloadBytes(manifest) });
      await pullModel({ modelId: FIXTURE_MODEL_ID, baseUrl: server.base, ...options });
    } finally {
      await server.close();
    }
    const dir = join(root, 'data', 'models', FIXTURE_MODEL_ID);
    expect((await listModels(options))[0]).toEqual({
      id: FIXTURE_MODEL_ID,
      name: 'Tiny test VLM',
      dir,
      installed: true,
      bytes: downloadBytes(manifest),
      family: 'idefics3',
      embedded: false,
      methods: ['received', 'fastv', 'pool', 'random', 'uniform'],
    });
    expect((await findInstalledModel(FIXTURE_MODEL_ID, options)).dir).toBe(dir);
  });

  it('lists hand-copied folders, imported folders and embedded fixtures, skipping folders without config.json', async () => {
    modelFolder(join(root, 'data', 'models', 'copied'), { 'config.json': '{"model_type":"llava"}', 'onnx/a.onnx': '12345' });
    mkdirSync(join(root, 'data', 'models', 'empty'), { recursive: true });
    modelFolder(join(root, 'fixtures', 'tiny-idefics3'), { 'config.json': '{"model_type":"idefics3"}' });
    const outside = modelFolder(join(root, 'elsewhere', 'My Model'), { 'config.json': '{}', 'x.bin': 'abc' });
    await importModelFolder(outside, options);

    const byId = Object.fromEntries((await listModels(options)).map((m) => [m.id, m]));
    expect(Object.keys(byId)).toEqual([FIXTURE_MODEL_ID, 'copied', 'my-model', 'tiny-idefics3']);
    expect(byId.copied).toEqual({
      id: 'copied',
      name: 'copied',
      dir: join(root, 'data', 'models', 'copied'),
      installed: true,
      bytes: 22 + 5,
      family: 'llava',
      embedded: false,
      methods: SUPPORTED_BY_LLAVA,
    });
    // An unknown family can still run the baselines, which need no attention.
    expect(byId['my-model']).toMatchObject({
      name: 'My Model',
      dir: outside,
      installed: true,
      bytes: 5,
      family: 'unknown',
      embedded: false,
      methods: ['fastv', 'pool', 'random', 'uniform'],
    });
    expect(byId['tiny-idefics3']).toMatchObject({ installed: true, embedded: true, family: 'idefics3' });
    expect(Object.values(byId).some((m) => m.randomWeights)).toBe(false);
  });

  it('marks the random-weight fixtures and the benchmark models as such, and only them', async () => {
    const models = await listModels({ dataDir: join(root, 'data'), benchmarkModels: BENCHMARK_MODELS });
    const random = models.filter((m) => m.randomWeights).map((m) => m.id);
    expect(random).toEqual([...BENCHMARK_MODELS.map((b) => b.id), 'tiny-phi3v', 'tiny-smolvlm']);
    expect(models.find((m) => m.id === 'tiny-llava')).toMatchObject({ embedded: true });
    expect(models.find((m) => m.id === 'tiny-llava')?.randomWeights).toBeUndefined();
    expect(['tiny-smolvlm', 'tiny-llava', ...BENCHMARK_MODELS.map((b) => b.id)].map(hasRandomWeights)).toEqual([
      true,
      false,
      ...BENCHMARK_MODELS.map(() => true),
    ]);
  });

  it('marks an imported folder that has since disappeared as not installed', async () => {
    const outside = modelFolder(join(root, 'gone'), { 'config.json': '{}' });
    await importModelFolder(outside, options);
    rmSync(outside, { recursive: true });
    expect((await listModels(options)).find((m) => m.id === 'gone')).toMatchObject({ installed: false, bytes: 0 });
    const e = await engineErrorOf(findInstalledModel('gone', options));
    expect(e.code).toBe('MODEL_INCOMPLETE');
  });
});

describe('damaged catalogue files', () => {
  const quiet = () => vi.spyOn(console, 'warn').mockImplementation(() => undefined);

  it('a corrupt imported-models.json is set aside with a warning and read as empty; the next import replaces it', async () => {
    const dataDir = join(root, 'data');
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(join(dataDir, 'imported-models.json'), '{"models": [{"id": "a", "di');
    const warn = quiet();
    const listed = await listModels(options);
    await listModels(options);
    const warnings = warn.mock.calls.map((c) => String(c[0]));
    warn.mockRestore();
    expect(listed.map((m) => m.id)).toEqual([FIXTURE_MODEL_ID]);
    const aside = readdirSync(dataDir).filter((f) => f.startsWith('imported-models.corrupt-'));
    expect(aside).toHaveLength(1);
    expect(readFileSync(join(dataDir, aside[0]), 'utf8')).toBe('{"models": [{"id": "a", "di');
    // Once per damage, not on every read of the list.
    expect(warnings).toEqual([
      expect.stringMatching(
        /imported-models\.json is damaged \(not valid JSON: .*\); it is treated as empty, and a copy was set aside as .*imported-models\.corrupt-[0-9a-f]{12}\.json\./,
      ),
    ]);

    const dir = modelFolder(join(root, 'a', 'fresh'), { 'config.json': '{"model_type":"llava"}' });
    const warnAgain = quiet();
    await importModelFolder(dir, options);
    warnAgain.mockRestore();
    expect(JSON.parse(readFileSync(join(dataDir, 'imported-models.json'), 'utf8'))).toEqual({
      models: [{ id: 'fresh', dir, family: 'llava' }],
    });
  });

  it('an entry with an id that would escape the models folder is ignored; the valid ones are kept', async () => {
    const dataDir = join(root, 'data');
    const good = modelFolder(join(root, 'good'), { 'config.json': '{"model_type":"llava"}' });
    mkdirSync(dataDir, { recursive: true });
    const models = [
      { id: '../../x', dir: good, family: 'llava' },
      { id: 'good', dir: good, family: 'llava' },
      { id: 'C:\\x', dir: good, family: 'llava' },
      { id: 'rel', dir: 'relative/folder', family: 'llava' },
      null,
    ];
    writeFileSync(join(dataDir, 'imported-models.json'), JSON.stringify({ models }));
    const warn = quiet();
    const listed = await listModels(options);
    const warnings = warn.mock.calls.map((c) => String(c[0]));
    warn.mockRestore();
    expect(listed.map((m) => m.id)).toEqual([FIXTURE_MODEL_ID, 'good']);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(
      'models[0].id "../../x" is not a safe model id; models[2].id "C:\\\\x" is not a safe model id; models[3].dir must be an absolute folder path; models[4] is not an object',
    );
    expect(warnings[0]).toContain('its 1 valid entry is used');
  });

  it('a bad manifest is skipped with one warning; the other models are still listed', async () => {
    writeFileSync(join(root, 'manifests', 'broken.json'), '{"id": ');
    writeFileSync(join(root, 'manifests', 'escape.json'), JSON.stringify({ ...manifest, id: '../../x' }));
    const warn = quiet();
    const listed = await listModels(options);
    await listModels(options);
    const warnings = warn.mock.calls.map((c) => String(c[0]));
    warn.mockRestore();
    expect(listed.map((m) => m.id)).toEqual([FIXTURE_MODEL_ID]);
    expect(warnings).toEqual([
      expect.stringMatching(/^Skipped a model manifest: .*broken\.json is not valid JSON: /),
      `Skipped a model manifest: model manifest ${join(root, 'manifests', 'escape.json')}: 'id' '../../x' must be letters, digits, '.', '_' and '-' (it names the model's folder)`,
    ]);
  });
});

describe('findInstalledModel', () => {
  it('tells how to get a known model that is not downloaded, and lists ids for an unknown one', async () => {
    const missing = await engineErrorOf(findInstalledModel(FIXTURE_MODEL_ID, options));
    expect(missing.code).toBe('MODEL_INCOMPLETE');
    expect(missing.message).toBe(`model '${FIXTURE_MODEL_ID}' is not downloaded yet: run \`vtc models pull ${FIXTURE_MODEL_ID}\``);
    const unknown = await engineErrorOf(findInstalledModel('nope', options));
    expect(unknown.message).toBe(`unknown model 'nope' (models: ${FIXTURE_MODEL_ID})`);
  });
});

describe('importModelFolder', () => {
  it('registers the folder atomically in <data>/imported-models.json and returns the same entry when imported again', async () => {
    const config = '{"model_type":"idefics3"}';
    const dir = modelFolder(join(root, 'a', 'SmolVLM_local'), { 'config.json': config });
    const first = await importModelFolder(dir, options);
    const bytes = config.length;
    expect(first).toEqual({
      id: 'smolvlm-local',
      name: 'SmolVLM_local',
      dir,
      installed: true,
      bytes,
      family: 'idefics3',
      embedded: false,
      methods: ['received', 'fastv', 'pool', 'random', 'uniform'],
    });
    expect(JSON.parse(readFileSync(join(root, 'data', 'imported-models.json'), 'utf8'))).toEqual({
      models: [{ id: 'smolvlm-local', dir, family: 'idefics3' }],
    });
    expect(await importModelFolder(dir, options)).toEqual(first);
  });

  it('gives a folder whose name is taken a fresh id', async () => {
    const a = await importModelFolder(modelFolder(join(root, 'a', 'm'), { 'config.json': '{}' }), options);
    const b = await importModelFolder(modelFolder(join(root, 'b', 'm'), { 'config.json': '{}' }), options);
    const c = await importModelFolder(modelFolder(join(root, 'c', FIXTURE_MODEL_ID), { 'config.json': '{}' }), options);
    expect([a.id, b.id, c.id]).toEqual(['m', 'm-2', `${FIXTURE_MODEL_ID}-2`]);
  });

  it('refuses what is not a model folder, saying why', async () => {
    const missing = await engineErrorOf(importModelFolder(join(root, 'nowhere'), options));
    expect(missing).toMatchObject({ code: 'FILE_NOT_FOUND', message: `folder not found: ${join(root, 'nowhere')}` });
    const file = join(root, 'file.onnx');
    writeFileSync(file, 'x');
    expect(await engineErrorOf(importModelFolder(file, options))).toMatchObject({ code: 'BAD_ARGUMENT' });
    const noConfig = modelFolder(join(root, 'noconfig'), { 'model.onnx': 'x' });
    expect(await engineErrorOf(importModelFolder(noConfig, options))).toMatchObject({
      code: 'MODEL_INCOMPLETE',
      message: `${noConfig} has no config.json: not a Hugging Face model folder`,
    });
    const badConfig = modelFolder(join(root, 'badconfig'), { 'config.json': '{oops' });
    expect(await engineErrorOf(importModelFolder(badConfig, options))).toMatchObject({ code: 'MODEL_INCOMPLETE' });
  });

  it('derives ids from folder names', () => {
    expect(modelIdFromFolderName('SmolVLM 256M (local)')).toBe('smolvlm-256m-local');
    expect(modelIdFromFolderName('___')).toBe('model');
  });
});
