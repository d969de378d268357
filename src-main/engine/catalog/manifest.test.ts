import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { engineErrorOf } from '../test/engine-errors';
import { EngineError } from '../errors';
import {
  downloadBytes,
  isSafeModelId,
  loadManifest,
  loadManifests,
  parseManifest,
  variantFiles,
  variantModuleFiles,
  type ModelManifest,
} from './manifest';

const sum = (c: string) => c.repeat(64);
const base: ModelManifest = {
  id: 'm',
  name: 'M',
  family: 'idefics3',
  repo: 'org/m',
  revision: 'main',
  license: 'apache-2.0',
  common: ['config.json'],
  modules: ['vision_encoder', 'decoder'],
  defaultVariant: 'cpu',
  variants: {
    cpu: { vision_encoder: 'onnx/v_q4.onnx', decoder: 'onnx/d_q4.onnx' },
    fp32: { vision_encoder: 'onnx/v.onnx' },
  },
  files: {
    'config.json': { bytes: 10, sha256: sum('a') },
    'onnx/v_q4.onnx': { bytes: 100, sha256: sum('b') },
    'onnx/d_q4.onnx': { bytes: 1000, sha256: sum('c') },
    'onnx/v.onnx': { bytes: 400, sha256: sum('d') },
  },
};
const withChange = (patch: Record<string, unknown>) => ({ ...structuredClone(base), ...patch });

describe('parseManifest', () => {
  it('accepts a well-formed manifest unchanged', () => {
    expect(parseManifest(structuredClone(base), 'm.json')).toEqual(base);
  });

  it('names the source and the faulty field', () => {
    const bad = (patch: Record<string, unknown>) => () => parseManifest(withChange(patch), 'm.json');
    expect(bad({ repo: '' })).toThrow("model manifest m.json: 'repo' must be a non-empty string");
    expect(bad({ files: { '../escape.onnx': { bytes: 1, sha256: sum('a') } } })).toThrow(
      "file path '../escape.onnx' must be relative, inside the repository",
    );
    expect(bad({ files: { ...base.files, 'config.json': { bytes: 10, sha256: 'ABC' } } })).toThrow(
      "files['config.json'].sha256 must be 64 lowercase hex digits",
    );
    expect(bad({ files: { ...base.files, 'config.json': { bytes: -1, sha256: sum('a') } } })).toThrow(
      "files['config.json'].bytes must be a byte count",
    );
    expect(bad({ variants: { ...base.variants, int8: { vision_encoder: 'onnx/v_int8.onnx' } } })).toThrow(
      "variant 'int8' module 'vision_encoder' names a file not in 'files'",
    );
    expect(bad({ variants: { ...base.variants, int8: { text: 'onnx/v.onnx' } } })).toThrow("variant 'int8' names unknown module 'text'");
    expect(bad({ defaultVariant: 'gpu' })).toThrow("default variant 'gpu' is not in 'variants'");
    expect(bad({ variants: { cpu: { vision_encoder: 'onnx/v_q4.onnx' } } })).toThrow("default variant lacks module 'decoder'");
    expect(bad({ common: ['tokenizer.json'] })).toThrow("common file 'tokenizer.json' is not in 'files'");
  });

  it('refuses ids, file paths and repos that could reach outside the model folder', () => {
    const bad = (patch: Record<string, unknown>) => () => parseManifest(withChange(patch), 'm.json');
    for (const id of ['../../x', '..', 'a/b', 'a\\b', '/abs', 'C:x', '.hidden', 'a b', '']) {
      expect(bad({ id }), id).toThrow(/model manifest m\.json: 'id' .*must be|'id' must be a non-empty string/);
    }
    const escapes = ['/etc/passwd', 'onnx\\v.onnx', 'C:/x.onnx', 'onnx/../../x', 'a//b', './config.json', 'onnx/v .onnx', 'onnx/v\n.onnx'];
    for (const path of escapes) {
      expect(bad({ files: { ...base.files, [path]: { bytes: 1, sha256: sum('e') } } }), path).toThrow(
        `file path '${path}' must be relative, inside the repository`,
      );
    }
    expect(bad({ repo: '../../evil' })).toThrow("'repo' '../../evil' must be <owner>/<name>");
    expect(bad({ repo: 'org/m/extra' })).toThrow("'repo' 'org/m/extra' must be <owner>/<name>");
    expect(bad({ id: '../../x' })).toThrow(EngineError);
    expect(isSafeModelId('smolvlm-256m-instruct')).toBe(true);
    expect(isSafeModelId('tiny_llava.v2')).toBe(true);
  });
});

describe('loadManifests', () => {
  it('skips a bad manifest with a warning; the model it describes says why it cannot be pulled', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vtc-manifests-'));
    try {
      writeFileSync(join(dir, 'm.json'), JSON.stringify(base));
      writeFileSync(
        join(dir, 'other.json'),
        JSON.stringify({ ...base, id: 'other', files: { ...base.files, '/etc/passwd': { bytes: 1, sha256: sum('e') } } }),
      );
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
      const loaded = await loadManifests(dir);
      const pulled = await engineErrorOf(loadManifest('other', dir));
      warn.mockRestore();
      expect(loaded.map((m) => m.id)).toEqual(['m']);
      expect(pulled.code).toBe('BAD_ARGUMENT');
      expect(pulled.message).toMatch(/^model manifest .*other\.json: file path '\/etc\/passwd' must be relative, inside the repository/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a manifests folder that is not there is one clear error', async () => {
    const dir = join(tmpdir(), 'vtc-no-such-manifests');
    const e = await engineErrorOf(loadManifests(dir));
    expect(e).toMatchObject({
      code: 'FILE_NOT_FOUND',
      message: `The model manifests folder ${dir} does not exist or is not a folder. Check VTC_MANIFESTS_DIR, or reinstall the app.`,
    });
    const file = join(mkdtempSync(join(tmpdir(), 'vtc-manifests-')), 'file');
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, 'x');
    expect(await engineErrorOf(loadManifests(file))).toMatchObject({ code: 'FILE_NOT_FOUND' });
    rmSync(join(file, '..'), { recursive: true, force: true });
  });
});

describe('variants', () => {
  it('fills modules a variant lacks from the default variant', () => {
    expect(variantModuleFiles(base, 'fp32')).toEqual({ vision_encoder: 'onnx/v.onnx', decoder: 'onnx/d_q4.onnx' });
    expect(variantFiles(base)).toEqual(['config.json', 'onnx/v_q4.onnx', 'onnx/d_q4.onnx']);
    expect(downloadBytes(base)).toBe(1110);
    expect(downloadBytes(base, 'fp32')).toBe(1410);
  });

  it('refuses an unknown variant with VARIANT_MISSING listing the variants', () => {
    expect(() => variantFiles(base, 'int4')).toThrow(
      new EngineError('VARIANT_MISSING', "model 'm' has no variant 'int4' (variants: cpu, fp32)"),
    );
  });
});

describe('the committed SmolVLM-256M-Instruct manifest', () => {
  it('parses, and its default is the CPU set: vision q4 + embed int8 + decoder q4', async () => {
    const m = await loadManifest('smolvlm-256m-instruct');
    expect(m.repo).toBe('HuggingFaceTB/SmolVLM-256M-Instruct');
    expect(variantModuleFiles(m)).toEqual({
      vision_encoder: 'onnx/vision_encoder_q4.onnx',
      embed_tokens: 'onnx/embed_tokens_int8.onnx',
      decoder_model_merged: 'onnx/decoder_model_merged_q4.onnx',
    });
    expect(m.files['onnx/decoder_model_merged_q4.onnx']).toEqual({
      bytes: 86562901,
      sha256: 'e3fd81130e30715580cf148398e48e2925b6219bff75e17d2a77add35a363f65',
    });
    expect(m.common).toHaveLength(9);
    // 63.8 + 28.4 + 86.6 MB of weights plus 3.6 MB of configs and tokenizer.
    expect(downloadBytes(m) / 1e6).toBeCloseTo(182.3, 0);
    expect(Object.keys(m.variants).sort()).toEqual(['bnb4', 'cpu', 'fp16', 'fp32', 'int8', 'q4', 'q4f16', 'quantized', 'uint8']);
  });
});
