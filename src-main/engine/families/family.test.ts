import { describe, expect, it } from 'vitest';
import { readModelFolder, type ModelFolder } from '../model/read-model-folder';
import { fixtureDir } from '../test/paths';
import { thrownEngineError } from '../test/engine-errors';
import { TextTokenizer } from '../text/tokenizer';
import { eosIds } from './family';
import { createFamily, familyModules, supportedMethods } from './index';

const fixture = readModelFolder(fixtureDir('tiny-smolvlm'));
const withConfigs = (generationConfig: object, config: object): ModelFolder => ({ ...fixture, generationConfig, config });

describe('eosIds', () => {
  it('reads a single id or a list from generation_config.json', () => {
    expect(eosIds(fixture)).toEqual([49279]);
    expect(eosIds(withConfigs({ eos_token_id: [2, 49279] }, {}))).toEqual([2, 49279]);
  });

  it("falls back to the text config's, then the config's eos_token_id", () => {
    expect(eosIds(withConfigs({}, { text_config: { eos_token_id: 7 }, eos_token_id: 9 }))).toEqual([7]);
    expect(eosIds(withConfigs({}, { eos_token_id: [9, 10] }))).toEqual([9, 10]);
  });

  it('keeps only numbers, and is empty when no eos is configured', () => {
    expect(eosIds(withConfigs({ eos_token_id: [1, null, '2'] }, {}))).toEqual([1]);
    expect(eosIds(withConfigs({}, {}))).toEqual([]);
  });
});

describe('createFamily', () => {
  const tokenizer = new TextTokenizer(fixture.tokenizerJson, fixture.tokenizerConfig);

  it('maps idefics3 and smolvlm model types to the Idefics3 family, scored by attention received (no [CLS])', () => {
    for (const model_type of ['idefics3', 'smolvlm']) {
      const family = createFamily(withConfigs({}, { ...fixture.config, model_type }), tokenizer);
      expect([family.name, family.clsToken]).toEqual(['idefics3', false]);
    }
  });

  it('offers [CLS] methods only where the encoder has a [CLS] token, and received and the baselines everywhere', () => {
    expect(supportedMethods('llava')).toEqual([
      'vtc-cls',
      'vtc-cls-ensemble',
      'received',
      'vtc-cls-diverse',
      'fastv',
      'pool',
      'random',
      'uniform',
    ]);
    expect(supportedMethods('smolvlm')).toEqual(['received', 'fastv', 'pool', 'random', 'uniform']);
    expect(supportedMethods('qwen2_vl')).toEqual(['fastv', 'pool', 'random', 'uniform']);
    // explain needs the model folder's trained token compressor.
    expect(supportedMethods('llava', true)).toContain('explain');
    expect(supportedMethods('smolvlm', true)).toEqual(['received', 'explain', 'fastv', 'pool', 'random', 'uniform']);
  });

  it('names the ONNX modules each family opens, and how it merges image features', () => {
    expect(familyModules('smolvlm')).toEqual(['vision_encoder', 'embed_tokens', 'decoder_model_merged']);
    expect(familyModules('qwen2_vl')).toBeUndefined();
    const family = createFamily(fixture, tokenizer);
    expect(family.modules).toEqual({ vision: 'vision_encoder', embed: 'embed_tokens', decoder: 'decoder_model_merged' });
    expect(family.imageMerge).toBe('by-token-id');
  });

  it('refuses an unsupported model type, listing the supported ones', () => {
    const e = thrownEngineError(() => createFamily(withConfigs({}, { model_type: 'qwen2_vl' }), tokenizer));
    expect(e.code).toBe('MODEL_MISMATCH');
    expect(e.message).toMatch(/^model type 'qwen2_vl' is not supported \(supported: idefics3, smolvlm(, [a-z0-9_]+)*\)$/);
  });
});
