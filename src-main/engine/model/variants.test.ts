import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../test/paths';
import { thrownEngineError } from '../test/engine-errors';
import { isVariant, MODULES, parseOnnxFileName, pickVariant, VARIANTS, variantRunsOn, variantSuffix, type Variant } from './variants';

const sizes = (entries: Array<[Variant, number]>) => new Map<Variant, number>(entries);

describe('parseOnnxFileName', () => {
  it.each([
    ['vision_encoder.onnx', 'vision_encoder', 'fp32'],
    ['vision_encoder_fp16.onnx', 'vision_encoder', 'fp16'],
    ['embed_tokens_int8.onnx', 'embed_tokens', 'int8'],
    ['embed_tokens_uint8.onnx', 'embed_tokens', 'uint8'],
    ['decoder_model_merged_quantized.onnx', 'decoder_model_merged', 'quantized'],
    ['decoder_model_merged_q4.onnx', 'decoder_model_merged', 'q4'],
    ['decoder_model_merged_q4f16.onnx', 'decoder_model_merged', 'q4f16'],
    ['vision_encoder_bnb4.onnx', 'vision_encoder', 'bnb4'],
  ])('%s → %s / %s', (name, module, variant) => {
    expect(parseOnnxFileName(name)).toEqual({ module, variant });
  });

  it.each([
    'vision_encoder_fp32.onnx', // fp32 has no suffix
    'vision_encoder.onnx_data',
    'decoder_model_merged_q4.onnx_data',
    'decoder_model_merged_q8.onnx',
    'decoder_model.onnx',
    'decoder_model_merged_q4.ONNX',
    'embed_tokens-int8.onnx',
    'lm_head.onnx',
    'my_vision_encoder.onnx',
    '',
  ])('%j is not a model graph', (name) => {
    expect(parseOnnxFileName(name)).toBeUndefined();
  });

  it('round-trips every module and variant through variantSuffix', () => {
    for (const module of MODULES) {
      for (const variant of VARIANTS) expect(parseOnnxFileName(`${module}${variantSuffix(variant)}.onnx`)).toEqual({ module, variant });
    }
  });
});

describe('variantRunsOn', () => {
  it('keeps half-precision graphs off the CPU provider only', () => {
    expect(VARIANTS.filter((v) => !variantRunsOn(v, 'cpu'))).toEqual(['fp16', 'q4f16']);
    expect(VARIANTS.every((v) => variantRunsOn(v, 'webgpu'))).toBe(true);
    expect(VARIANTS.every((v) => variantRunsOn(v, 'cuda'))).toBe(true);
  });
});

describe('pickVariant', () => {
  const all = sizes([
    ['fp32', 400],
    ['fp16', 200],
    ['int8', 110],
    ['q4', 90],
    ['q4f16', 60],
  ]);

  it('returns a requested variant that is present', () => {
    expect(pickVariant('vision_encoder', all, 'cpu', 'int8')).toBe('int8');
  });

  it('returns a requested half-precision variant even on cpu (an explicit choice wins)', () => {
    expect(pickVariant('vision_encoder', all, 'cpu', 'fp16')).toBe('fp16');
  });

  it('names the file and lists what is available when the requested variant is missing', () => {
    const e = thrownEngineError(() =>
      pickVariant(
        'decoder_model_merged',
        sizes([
          ['fp32', 1],
          ['q4', 2],
        ]),
        'cpu',
        'int8',
      ),
    );
    expect(e.code).toBe('VARIANT_MISSING');
    expect(e.message).toBe("variant 'int8' of onnx/decoder_model_merged_int8.onnx is not in the model folder (available: fp32, q4)");
  });

  it('says none are available when the module has no files', () => {
    expect(thrownEngineError(() => pickVariant('embed_tokens', new Map(), 'cpu', 'q4')).message).toMatch(/\(available: none\)$/);
  });

  it('picks the smallest file that runs on cpu, skipping fp16 and q4f16', () => {
    expect(pickVariant('decoder_model_merged', all, 'cpu')).toBe('q4');
  });

  it('allows the smaller half-precision files on webgpu', () => {
    expect(pickVariant('decoder_model_merged', all, 'webgpu')).toBe('q4f16');
  });

  it('breaks a size tie by the preference order of VARIANTS', () => {
    expect(
      pickVariant(
        'embed_tokens',
        sizes([
          ['q4', 50],
          ['uint8', 50],
          ['int8', 50],
        ]),
        'cpu',
      ),
    ).toBe('int8');
    expect(
      pickVariant(
        'embed_tokens',
        sizes([
          ['bnb4', 50],
          ['quantized', 50],
        ]),
        'cpu',
      ),
    ).toBe('quantized');
  });

  it('fails clearly when only half-precision files exist on cpu', () => {
    const e = thrownEngineError(() =>
      pickVariant(
        'vision_encoder',
        sizes([
          ['fp16', 1],
          ['q4f16', 1],
        ]),
        'cpu',
      ),
    );
    expect(e.code).toBe('VARIANT_MISSING');
    expect(e.message).toBe('no variant of onnx/vision_encoder*.onnx in the model folder runs on the cpu provider');
  });
});

describe('isVariant', () => {
  it('accepts the known variants only', () => {
    expect(VARIANTS.every(isVariant)).toBe(true);
    expect(['', 'FP32', 'q8', 'int4', 'fp32 '].some(isVariant)).toBe(false);
  });
});

describe('on the published SmolVLM-256M-Instruct files', () => {
  // Names and sizes of every published weight file, from the committed download manifest.
  const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'models/manifests/smolvlm-256m-instruct.json'), 'utf8'));
  const onnxFiles = Object.entries(manifest.files as Record<string, { bytes: number }>).filter(([path]) => path.startsWith('onnx/'));
  const available = new Map<string, Map<Variant, number>>(MODULES.map((m) => [m, new Map()]));
  for (const [path, { bytes }] of onnxFiles) {
    const parsed = parseOnnxFileName(path.slice('onnx/'.length));
    if (parsed) available.get(parsed.module)!.set(parsed.variant, bytes);
  }

  it('parses every published graph: 3 modules x 8 variants', () => {
    expect(onnxFiles).toHaveLength(24);
    for (const m of MODULES) expect([...available.get(m)!.keys()].sort()).toEqual([...VARIANTS].sort());
  });

  it('picks the smallest files that run: 4-bit without fp16 parts on cpu, q4f16 where half precision runs', () => {
    const pick = (ep: 'cpu' | 'webgpu') => MODULES.map((m) => pickVariant(m, available.get(m)!, ep));
    // bnb4 (com.microsoft MatMulBnb4, which has a CPU kernel) is the smallest vision encoder and decoder;
    // embed_tokens: int8, quantized and uint8 are the same size, and int8 comes first in VARIANTS.
    expect(pick('cpu')).toEqual(['bnb4', 'int8', 'bnb4']);
    expect(pick('webgpu')).toEqual(['q4f16', 'int8', 'q4f16']);
  });
});
