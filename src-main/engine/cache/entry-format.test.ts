import { describe, expect, it } from 'vitest';
import { decodeEntry, encodeEntry } from './entry-format';
import { KEY_A, KEY_B, sampleVision } from '../test/cache/values';

function decoded(key: string, buf: Buffer) {
  const result = decodeEntry(key, buf);
  if (!result.ok) throw new Error(`expected a valid entry, got: ${result.reason}`);
  return result.value;
}

describe('cache entry format', () => {
  it('round-trips features, attention layers and meta', () => {
    const value = sampleVision(7);
    const back = decoded(KEY_A, encodeEntry(KEY_A, value));
    expect(back.features).toEqual(value.features);
    expect(back.featureDims).toEqual([3, 4]);
    expect(back.attention?.layerCount).toBe(4);
    expect(Object.keys(back.attention?.byKind ?? {})).toEqual(['cls', 'received']);
    expect([...(back.attention?.byKind.cls?.keys() ?? [])]).toEqual([1, 2]);
    expect(back.attention?.byKind.cls?.get(2)).toEqual(value.attention?.byKind.cls?.get(2));
    expect(back.attention?.byKind.received?.get(2)).toEqual(value.attention?.byKind.received?.get(2));
    expect(back.meta).toEqual(value.meta);
  });

  it('stores an entry without attention, and float views that do not start at offset 0', () => {
    const backing = Float32Array.from([9, 1, 2, 3, 4, 9]);
    const back = decoded(KEY_A, encodeEntry(KEY_A, { features: backing.subarray(1, 5), featureDims: [2, 2], meta: null }));
    expect(Array.from(back.features)).toEqual([1, 2, 3, 4]);
    expect(back.attention).toBeUndefined();
  });

  it('is a small header plus the raw floats', () => {
    const value = sampleVision(0, 100, 64);
    const floatBytes = 4 * (100 * 64 + 16 + 8); // features, two [CLS] layers and one received layer over two 2x2 tiles
    const size = encodeEntry(KEY_A, value).length;
    expect(size).toBeGreaterThan(floatBytes);
    expect(size - floatBytes).toBeLessThan(400);
  });

  it('detects a flipped bit, a truncated file, another entry and a foreign file', () => {
    const buf = encodeEntry(KEY_A, sampleVision());
    const flipped = Buffer.from(buf);
    flipped[buf.length - 40] ^= 0x04;
    expect(decodeEntry(KEY_A, flipped)).toEqual({ ok: false, reason: 'checksum mismatch (truncated or damaged)' });
    expect(decodeEntry(KEY_A, buf.subarray(0, buf.length - 10)).ok).toBe(false);
    expect(decodeEntry(KEY_A, buf.subarray(0, 20))).toEqual({ ok: false, reason: 'not a cache entry' });
    expect(decodeEntry(KEY_B, buf)).toEqual({ ok: false, reason: `holds entry ${KEY_A}` });
    expect(decodeEntry(KEY_A, Buffer.from('{"hello": "world"} and some more bytes to pass the size check'))).toEqual({
      ok: false,
      reason: 'not a cache entry',
    });
  });

  it('refuses feature dims that do not match the features', () => {
    expect(() => encodeEntry(KEY_A, { features: new Float32Array(6), featureDims: [4, 2], meta: null })).toThrow(
      /feature dims \[4, 2\] do not describe 6 values/,
    );
  });
});
