import { describe, expect, it } from 'vitest';
import type { ModelInfo } from '../../src-shared/api';
import { defaultModelId } from './engine-catalog';

const model = (id: string, installed: boolean, randomWeights = false): ModelInfo => ({
  id,
  name: id,
  installed,
  bytes: 1,
  family: 'f',
  embedded: false,
  methods: ['uniform'],
  ...(randomWeights ? { randomWeights } : {}),
});

describe('defaultModelId', () => {
  it('prefers tiny-llava, then any installed model that answers, never one with random weights', () => {
    expect(defaultModelId([model('tiny-smolvlm', true, true), model('tiny-llava', true)])).toBe('tiny-llava');
    expect(defaultModelId([model('smolvlm-256m-instruct', true), model('tiny-llava', true)])).toBe('tiny-llava');
    expect(defaultModelId([model('tiny-llava', false), model('tiny-smolvlm', true, true)])).toBeUndefined();
    expect(defaultModelId([model('smolvlm-256m-instruct', true), model('tiny-llava', false)])).toBe('smolvlm-256m-instruct');
    expect(defaultModelId([model('smolvlm-256m-instruct', false)])).toBeUndefined();
  });
});
