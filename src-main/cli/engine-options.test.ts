import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { CliUsageError } from './args';
import { engineOptions, parseBudget, parseCrops, samplingOptions } from './engine-options';

describe('engineOptions', () => {
  it('defaults to cpu with onnxruntime choosing the threads', () => {
    expect(engineOptions({})).toEqual({ ep: 'cpu', threads: 0, variant: undefined, cacheDir: undefined });
  });

  it('passes provider, threads, variant and cache folder through', () => {
    expect(engineOptions({ ep: 'webgpu', threads: '1', variant: 'q4', 'cache-dir': '/tmp/c' })).toEqual({
      ep: 'webgpu',
      threads: 1,
      variant: 'q4',
      cacheDir: '/tmp/c',
    });
  });

  it('refuses a thread count that is not a whole number', () => {
    expect(() => engineOptions({ threads: '2.5' })).toThrow(new CliUsageError("--threads must be an integer >= 0, got '2.5'"));
    expect(() => engineOptions({ threads: '-1' })).toThrow(new CliUsageError("--threads must be an integer >= 0, got '-1'"));
  });

  it('takes up to as many threads as the machine runs at once, and refuses more, naming the limit', () => {
    const limit = availableParallelism();
    expect(engineOptions({ threads: String(limit) }).threads).toBe(limit);
    expect(() => engineOptions({ threads: String(limit + 1) })).toThrow(
      new CliUsageError(
        `--threads must be at most ${limit} (this machine's processor threads; 0 lets onnxruntime choose), got '${limit + 1}'`,
      ),
    );
    expect(() => engineOptions({ threads: '100000' })).toThrow(`--threads must be at most ${limit}`);
  });
});

describe('samplingOptions', () => {
  it('is greedy by default', () => {
    expect(samplingOptions({})).toEqual({ temperature: 0, topP: 1, seed: undefined });
  });

  it('reads temperature, top-p and seed', () => {
    expect(samplingOptions({ temperature: '0.8', 'top-p': '0.9', seed: '42' })).toEqual({ temperature: 0.8, topP: 0.9, seed: 42 });
  });

  it('refuses a seed that is not a whole number and a temperature that is no number', () => {
    expect(() => samplingOptions({ seed: '-1' })).toThrow("--seed must be an integer >= 0, got '-1'");
    expect(() => samplingOptions({ temperature: 'hot' })).toThrow("--temperature must be a number, got 'hot'");
  });
});

describe('parseBudget', () => {
  it('reads a number with a decimal point as a fraction and one without as a token count', () => {
    expect(parseBudget('0.25')).toEqual({ kind: 'ratio', ratio: 0.25 });
    expect(parseBudget('.5')).toEqual({ kind: 'ratio', ratio: 0.5 });
    expect(parseBudget('1.0')).toEqual({ kind: 'ratio', ratio: 1 });
    expect(parseBudget('64')).toEqual({ kind: 'count', count: 64 });
    expect(parseBudget('1')).toEqual({ kind: 'count', count: 1 });
  });

  it.each([
    '',
    '  ',
    'half',
    '25%',
    '0.2.5',
    '0x10',
    '1e-1',
    '1e2',
    '+3',
    '1_000',
    ' 64',
    '64 ',
    'Infinity',
    '-0.5',
    '-3',
    '0',
    '0.0',
    '.0',
    '1.5',
    '2.',
    '1.',
  ])('refuses %j, naming the accepted forms', (text) => {
    expect(() => parseBudget(text)).toThrow(
      new CliUsageError(
        `--keep must be a fraction in (0, 1] with a decimal point (0.25, .5, 1.0) or a whole number of tokens >= 1 (64), got '${text}'`,
      ),
    );
  });
});

describe('parseCrops', () => {
  it('reads --crops as the share of crops chosen by attention unless --crop-select says downsample', () => {
    expect(parseCrops({})).toBeUndefined();
    expect(parseCrops({ crops: '0.5' })).toEqual({ fraction: 0.5, select: 'attention' });
    expect(parseCrops({ crops: '.25', 'crop-select': 'downsample' })).toEqual({ fraction: 0.25, select: 'downsample' });
  });

  it('refuses a share that is no fraction in (0, 1], an unknown selection, and a selection without --crops', () => {
    for (const crops of ['0', '1.5', '6', 'half']) {
      expect(() => parseCrops({ crops })).toThrow(
        new CliUsageError(`--crops must be a fraction in (0, 1] with a decimal point (0.5, .25, 1.0), got '${crops}'`),
      );
    }
    expect(() => parseCrops({ crops: '0.5', 'crop-select': 'largest' })).toThrow(
      new CliUsageError("--crop-select must be one of attention, downsample, got 'largest'"),
    );
    expect(() => parseCrops({ 'crop-select': 'downsample' })).toThrow(new CliUsageError('--crop-select needs --crops'));
  });
});
