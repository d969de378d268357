import { describe, expect, it } from 'vitest';
import { featureCacheKey, hashBuffer } from './hash';

describe('content hashes', () => {
  it('hashBuffer is sha256 hex (FIPS 180-2 "abc" vector)', () => {
    expect(hashBuffer(Buffer.from('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});

describe('featureCacheKey', () => {
  const base = {
    imageHash: 'f'.repeat(64),
    modelId: 'smolvlm-256m-instruct',
    variant: '_q4',
    processor: { size: { longest_edge: 2048 }, do_image_splitting: true },
  };

  it('ignores the order of processor settings', () => {
    const reordered = { ...base, processor: { do_image_splitting: true, size: { longest_edge: 2048 } } };
    expect(featureCacheKey(reordered)).toBe(featureCacheKey(base));
    expect(featureCacheKey(base)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('changes with the image, the model, the variant and any processor setting', () => {
    const keys = new Set([
      featureCacheKey(base),
      featureCacheKey({ ...base, imageHash: 'e'.repeat(64) }),
      featureCacheKey({ ...base, modelId: 'tiny-llava' }),
      featureCacheKey({ ...base, variant: '' }),
      featureCacheKey({ ...base, processor: { ...base.processor, size: { longest_edge: 1536 } } }),
      featureCacheKey({ ...base, processor: { ...base.processor, do_image_splitting: false } }),
    ]);
    expect(keys.size).toBe(6);
  });
});
