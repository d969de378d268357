import { Tensor } from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { thrownEngineError } from '../test/engine-errors';
import { readAttention, readFeatures } from './vision-outputs';

const floats = (n: number, start = 0) => Float32Array.from({ length: n }, (_, i) => start + i);

describe('readFeatures', () => {
  it('reads [tokens, dim] whatever the leading dims', () => {
    const out = { image_features: new Tensor('float32', floats(2 * 3 * 4), [2, 3, 4]) };
    const { features, dim } = readFeatures(out, 6);
    expect(dim).toBe(4);
    expect(Array.from(features)).toEqual(Array.from(floats(24)));
  });

  it('refuses a token count other than the processor expects', () => {
    const e = thrownEngineError(() => readFeatures({ image_features: new Tensor('float32', floats(12), [3, 4]) }, 4));
    expect(e.code).toBe('MODEL_MISMATCH');
    expect(e.message).toBe('the vision encoder gave 3 visual tokens where the processor expects 4');
  });

  it('refuses outputs without image_features', () => {
    const e = thrownEngineError(() => readFeatures({ last_hidden_state: new Tensor('float32', floats(4), [1, 4]) }, 1));
    expect(e.code).toBe('MODEL_MISMATCH');
    expect(e.message).toBe('the vision encoder has no image_features output');
  });
});

describe('readAttention', () => {
  it('splits each attn_<kind>.<layer> output into one vector per tile, by kind, ignoring other outputs', () => {
    const out = {
      image_features: new Tensor('float32', floats(8), [2, 4]),
      'attn_received.0': new Tensor('float32', floats(6), [2, 3]),
      'attn_received.11': new Tensor('float32', floats(6, 100), [2, 3]),
      'attn_cls.11': new Tensor('float32', floats(6, 200), [2, 3]),
      'attn_scores.1': new Tensor('float32', floats(6), [2, 3]),
      'attn_mean.2': new Tensor('float32', floats(6), [2, 3]),
    };
    const attention = readAttention(out, 12, 2)!;
    expect(attention.layerCount).toBe(12);
    expect(Object.keys(attention.byKind).sort()).toEqual(['cls', 'received']);
    const received = attention.byKind.received!;
    expect([...received.keys()].sort((a, b) => a - b)).toEqual([0, 11]);
    expect(received.get(0)!.map((t) => Array.from(t))).toEqual([
      [0, 1, 2],
      [3, 4, 5],
    ]);
    expect(received.get(11)!.map((t) => Array.from(t))).toEqual([
      [100, 101, 102],
      [103, 104, 105],
    ]);
    expect([...attention.byKind.cls!.keys()]).toEqual([11]);
    expect(attention.byKind.cls!.get(11)![1][0]).toBe(203);
  });

  it('keeps the first tiles of an output over more views than tiles', () => {
    const attention = readAttention({ 'attn_cls.0': new Tensor('float32', floats(8), [4, 2]) }, 2, 2)!;
    expect(attention.byKind.cls!.get(0)!.map((t) => Array.from(t))).toEqual([
      [0, 1],
      [2, 3],
    ]);
  });

  it('copies the tile vectors out of the output tensor', () => {
    const data = floats(4);
    const attention = readAttention({ 'attn_cls.1': new Tensor('float32', data, [1, 4]) }, 3, 1)!;
    data[0] = 99;
    expect(attention.byKind.cls!.get(1)![0][0]).toBe(0);
  });

  it('gives nothing for an encoder that was not instrumented', () => {
    expect(readAttention({ image_features: new Tensor('float32', floats(4), [1, 4]) }, 0, 1)).toBeUndefined();
  });
});
