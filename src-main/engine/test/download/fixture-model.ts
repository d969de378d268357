// A made-up model in the Hugging Face layout for download tests: random bytes standing in for the ONNX files,
// real JSON for config.json, and the manifest that describes them (written to `manifestsDir`).
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ModelManifest } from '../../catalog/manifest';

export const FIXTURE_MODEL_ID = 'tiny-test-vlm';
export const FIXTURE_REPO = 'test-org/tiny-test-vlm';

const FILE_SIZES: Record<string, number> = {
  'config.json': 0,
  'tokenizer.json': 2_000,
  'onnx/vision_encoder.onnx': 90_000,
  'onnx/vision_encoder_q4.onnx': 30_000,
  'onnx/embed_tokens.onnx': 60_000,
  'onnx/embed_tokens_int8.onnx': 20_000,
  'onnx/decoder_model_merged.onnx': 150_000,
  'onnx/decoder_model_merged_q4.onnx': 50_000,
};

/** Writes the served files under `<servedRoot>/<repo>/` and `<manifestsDir>/<id>.json`; returns the manifest. */
export function writeFixtureModel(servedRoot: string, manifestsDir: string): ModelManifest {
  const files: ModelManifest['files'] = {};
  for (const [path, size] of Object.entries(FILE_SIZES)) {
    const data = path === 'config.json' ? Buffer.from(JSON.stringify({ model_type: 'idefics3' })) : randomBytes(size);
    const target = join(servedRoot, FIXTURE_REPO, path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, data);
    files[path] = { bytes: data.length, sha256: createHash('sha256').update(data).digest('hex') };
  }
  const manifest: ModelManifest = {
    id: FIXTURE_MODEL_ID,
    name: 'Tiny test VLM',
    family: 'idefics3',
    repo: FIXTURE_REPO,
    revision: 'main',
    license: 'apache-2.0',
    common: ['config.json', 'tokenizer.json'],
    modules: ['vision_encoder', 'embed_tokens', 'decoder_model_merged'],
    defaultVariant: 'cpu',
    variants: {
      cpu: {
        vision_encoder: 'onnx/vision_encoder_q4.onnx',
        embed_tokens: 'onnx/embed_tokens_int8.onnx',
        decoder_model_merged: 'onnx/decoder_model_merged_q4.onnx',
      },
      fp32: {
        vision_encoder: 'onnx/vision_encoder.onnx',
        embed_tokens: 'onnx/embed_tokens.onnx',
        decoder_model_merged: 'onnx/decoder_model_merged.onnx',
      },
      // No q4 embed_tokens, as in repositories that only quantise the big matrices.
      q4: { vision_encoder: 'onnx/vision_encoder_q4.onnx', decoder_model_merged: 'onnx/decoder_model_merged_q4.onnx' },
    },
    files,
  };
  mkdirSync(manifestsDir, { recursive: true });
  writeFileSync(join(manifestsDir, `${FIXTURE_MODEL_ID}.json`), JSON.stringify(manifest, null, 2));
  return manifest;
}
