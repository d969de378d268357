import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DownloadProgress, ModelInfo } from '../../../src-shared/api';
import { FIXTURE_MODEL_ID, writeFixtureModel } from '../../engine/test/download/fixture-model';
import { startHfFixtureServer, type HfFixtureServer } from '../../engine/test/download/hf-fixture-server';
import { downloadBytes, type ModelManifest } from '../../engine/catalog/manifest';
import { lockDataFolder } from '../../service/data-folder-lock';
import { formatBytes } from '../../../src-shared/format';
import { modelTable, progressLine, progressPrinter } from './models';

const progress = (state: DownloadProgress['state'], receivedBytes: number): DownloadProgress => ({
  modelId: 'm',
  file: 'onnx/a.onnx',
  receivedBytes,
  totalBytes: 2_000_000,
  state,
});

describe('models command output', () => {
  it('formats progress', () => {
    expect(progressLine(progress('downloading', 500_000))).toBe('onnx/a.onnx  downloading  500.0 kB / 2.0 MB 25%');
  });

  it('prints an aligned table with status, size and folder', () => {
    const models: ModelInfo[] = [
      {
        id: 'big-model',
        name: 'Big',
        installed: false,
        bytes: 182_324_497,
        family: 'idefics3',
        embedded: false,
        methods: ['received', 'random', 'uniform'],
      },
      {
        id: 'fx',
        name: 'fx',
        dir: '/repo/models/fixtures/fx',
        installed: true,
        bytes: 12_000,
        family: 'idefics3',
        embedded: true,
        methods: ['received', 'random', 'uniform'],
      },
    ];
    expect(modelTable(models).split('\n')).toEqual([
      'ID         STATUS         SIZE      FAMILY    FOLDER',
      'big-model  not installed  182.3 MB  idefics3',
      'fx         embedded       12.0 kB   idefics3  /repo/models/fixtures/fx',
    ]);
  });

  it('marks benchmark models, built or still to be built by vtc bench', () => {
    const shape = (installed: boolean): ModelInfo => ({
      id: 'shape',
      name: 'Shape',
      installed,
      bytes: 1_290_637_518,
      family: 'idefics3',
      embedded: false,
      methods: ['received'],
      benchmark: true,
      ...(installed ? { dir: '/d/models/shape' } : {}),
    });
    expect(
      modelTable([shape(false), shape(true)])
        .split('\n')
        .slice(1),
    ).toEqual([
      'shape  benchmark, built by vtc bench  1.29 GB  idefics3',
      'shape  benchmark                      1.29 GB  idefics3  /d/models/shape',
    ]);
  });

  it('rewrites one line per file on a terminal, at most every 100 ms, and ends it when the file settles', () => {
    const written: string[] = [];
    let clock = 0;
    const print = progressPrinter({ isTTY: true, write: (t: string) => written.push(t) }, () => clock);
    print(progress('downloading', 1));
    clock = 50;
    print(progress('downloading', 2));
    clock = 150;
    print(progress('downloading', 3));
    print(progress('done', 2_000_000));
    expect(written).toEqual([
      `\r\x1b[K${progressLine(progress('downloading', 1))}`,
      `\r\x1b[K${progressLine(progress('downloading', 3))}`,
      `\r\x1b[K${progressLine(progress('done', 2_000_000))}\n`,
    ]);
  });

  it('writes plain lines only for settled files when not on a terminal', () => {
    const written: string[] = [];
    const print = progressPrinter({ isTTY: false, write: (t: string) => written.push(t) });
    for (const p of [progress('verifying', 0), progress('downloading', 9), progress('paused', 9)]) print(p);
    expect(written).toEqual([`${progressLine(progress('paused', 9))}\n`]);
  });
});

describe('vtc models (CLI process)', () => {
  let root: string;
  let server: HfFixtureServer;
  let manifest: ModelManifest;

  const vtc = (...args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      const env = { ...process.env, VTC_DATA_DIR: join(root, 'data'), VTC_MANIFESTS_DIR: join(root, 'manifests') };
      execFile(process.execPath, ['bin/vtc.js', 'models', ...args], { env }, (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
      );
    });

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'vtc-cli-models-'));
    manifest = writeFixtureModel(join(root, 'served'), join(root, 'manifests'));
    server = await startHfFixtureServer(join(root, 'served'));
  });

  afterAll(async () => {
    await server.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('lists the known model, pulls it (resuming after a cut), then lists it installed', async () => {
    const before = await vtc('list');
    expect(before.code).toBe(0);
    expect(before.stdout).toMatch(
      new RegExp(`^${FIXTURE_MODEL_ID} +not installed +${formatBytes(downloadBytes(manifest))} +idefics3$`, 'm'),
    );

    server.dropAfter.set('onnx/embed_tokens_int8.onnx', 4_000);
    const cut = await vtc('pull', FIXTURE_MODEL_ID, '--base', server.base);
    expect(cut.code).toBe(1);
    expect(cut.stderr).toMatch(/^vtc: connection lost while downloading .*embed_tokens_int8\.onnx .*the next pull resumes from there$/m);

    const done = await vtc('pull', FIXTURE_MODEL_ID, '--base', server.base);
    expect(done.code).toBe(0);
    // Not a terminal: one plain line per file.
    expect(
      done.stderr
        .trim()
        .split('\n')
        .map((l) => l.split('  ').slice(0, 2)),
    ).toEqual(
      [
        'config.json',
        'tokenizer.json',
        'onnx/vision_encoder_q4.onnx',
        'onnx/embed_tokens_int8.onnx',
        'onnx/decoder_model_merged_q4.onnx',
      ].map((f) => [f, 'done']),
    );
    expect(server.requests.find((r) => r.file === 'onnx/embed_tokens_int8.onnx' && r.range)).toBeDefined();
    const dir = join(root, 'data', 'models', FIXTURE_MODEL_ID);
    expect(done.stdout.trim().split('\n').at(-1)).toMatch(
      new RegExp(`^${FIXTURE_MODEL_ID} \\(cpu\\): 5 files, .* in ${dir} \\(.* downloaded\\)$`),
    );

    const after = await vtc('list', '--json');
    const listed = (JSON.parse(after.stdout) as ModelInfo[]).find((m) => m.id === FIXTURE_MODEL_ID);
    expect(listed).toMatchObject({ installed: true, dir, bytes: downloadBytes(manifest) });
  });

  it('refuses to pull or import while another process owns the data folder, naming it, and writes nothing', async () => {
    const dataDir = join(root, 'data');
    const app = await lockDataFolder(dataDir, 'VTC Photo Assistant');
    try {
      const requestsBefore = server.requests.length;
      const refusal = new RegExp(
        `^vtc: The data folder ${dataDir} is in use by "VTC Photo Assistant" \\(pid ${process.pid}, since \\d\\d:\\d\\d\\)\\. Close it first, or use another data folder .*\\)\\.\n$`,
      );
      const pull = await vtc('pull', FIXTURE_MODEL_ID, '--base', server.base);
      expect(pull.code).toBe(1);
      expect(pull.stderr).toMatch(refusal);
      expect(server.requests.length).toBe(requestsBefore);
      const imported = await vtc('import', join(root, 'served'));
      expect(imported.code).toBe(1);
      expect(imported.stderr).toMatch(refusal);
      // Listing only reads, so it works beside the app.
      expect((await vtc('list')).code).toBe(0);
    } finally {
      await app.release();
    }
  });

  it('a manifests folder that is not there is one line, no stack; a bad manifest is skipped with a warning', async () => {
    const env = { ...process.env, VTC_DATA_DIR: join(root, 'data') };
    const run = (manifests: string) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile(
          process.execPath,
          ['bin/vtc.js', 'models', 'list'],
          { env: { ...env, VTC_MANIFESTS_DIR: manifests } },
          (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
        );
      });
    const missing = await run(join(root, 'no-such-folder'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(
      `vtc: The model manifests folder ${join(root, 'no-such-folder')} does not exist or is not a folder. Check VTC_MANIFESTS_DIR, or reinstall the app.\n`,
    );

    const mixed = join(root, 'mixed-manifests');
    mkdirSync(mixed);
    writeFileSync(join(mixed, 'broken.json'), '{"id": "x", ');
    writeFileSync(join(mixed, `${FIXTURE_MODEL_ID}.json`), JSON.stringify(manifest));
    const listed = await run(mixed);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`^${FIXTURE_MODEL_ID} +(not )?installed`, 'm'));
    expect(listed.stderr).toMatch(/^Skipped a model manifest: .*broken\.json is not valid JSON: .*\n$/);
  });

  it('refuses a bad subcommand or a missing id with a one-line usage error', async () => {
    const bad = await vtc('remove', 'x');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe('vtc: usage: vtc models list [--json] | pull ID [--variant V] [--base URL] [--no-verify] | import DIR\n');
    const noId = await vtc('pull');
    expect(noId.stderr).toBe('vtc: usage: vtc models pull ID [--variant V] [--base URL] [--no-verify]\n');
  });
});
