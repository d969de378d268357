// Writes smolvlm-256m-instruct.json from the published model's non-weight files (hashed here) and its
// weights-manifest.json (sums recorded from the Git LFS pointers), so the committed manifest is reproducible:
//   npx tsx models/manifests/build-smolvlm-256m-instruct.ts models/reference/smolvlm-256m-instruct
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const publishedDir = process.argv[2];
if (!publishedDir) throw new Error('usage: build-smolvlm-256m-instruct.ts <folder with the published non-weight files>');

const NON_WEIGHT_FILES = [
  'config.json',
  'preprocessor_config.json',
  'processor_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'chat_template.json',
  'generation_config.json',
  'special_tokens_map.json',
  'added_tokens.json',
];
const MODULES = ['vision_encoder', 'embed_tokens', 'decoder_model_merged'];
// File-name suffix of each published ONNX variant; fp32 has none.
const SUFFIXES: Record<string, string> = {
  fp32: '',
  fp16: '_fp16',
  int8: '_int8',
  uint8: '_uint8',
  quantized: '_quantized',
  q4: '_q4',
  q4f16: '_q4f16',
  bnb4: '_bnb4',
};
// The smallest set that runs on the CPU provider (fp16 / q4f16 fail there).
const CPU_DEFAULT: Record<string, string> = { vision_encoder: 'q4', embed_tokens: 'int8', decoder_model_merged: 'q4' };

const weights = JSON.parse(readFileSync(join(publishedDir, 'weights-manifest.json'), 'utf8')) as {
  repo: string;
  license: string;
  files: Record<string, { sha256: string; bytes: number }>;
};

const files: Record<string, { bytes: number; sha256: string }> = {};
for (const name of NON_WEIGHT_FILES) {
  const data = readFileSync(join(publishedDir, name));
  files[name] = { bytes: data.length, sha256: createHash('sha256').update(data).digest('hex') };
}
for (const [path, entry] of Object.entries(weights.files)) {
  if (path.startsWith('onnx/')) files[path] = { bytes: entry.bytes, sha256: entry.sha256 };
}

const moduleFile = (module: string, variant: string) => `onnx/${module}${SUFFIXES[variant]}.onnx`;
const variants: Record<string, Record<string, string>> = {
  cpu: Object.fromEntries(MODULES.map((m) => [m, moduleFile(m, CPU_DEFAULT[m])])),
};
for (const variant of Object.keys(SUFFIXES)) {
  const present = MODULES.filter((m) => moduleFile(m, variant) in files);
  if (present.length > 0) variants[variant] = Object.fromEntries(present.map((m) => [m, moduleFile(m, variant)]));
}

const manifest = {
  id: 'smolvlm-256m-instruct',
  name: 'SmolVLM 256M Instruct',
  family: 'idefics3',
  repo: weights.repo,
  revision: 'main',
  license: weights.license,
  common: NON_WEIGHT_FILES,
  modules: MODULES,
  defaultVariant: 'cpu',
  variants,
  files,
};
const out = join(dirname(fileURLToPath(import.meta.url)), 'smolvlm-256m-instruct.json');
writeFileSync(out, JSON.stringify(manifest, null, 2) + '\n');
console.log(`wrote ${out}: ${Object.keys(files).length} files, variants ${Object.keys(variants).join(', ')}`);
