import { Tensor } from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { prefixKey, prefixOfPresent, PromptCache, type KvFeeds } from './prompt-cache';

/** Float32 keys and values of `length` positions for every layer. */
function kv(length: number, layers = 1, heads = 2, dim = 4): KvFeeds {
  const feeds: KvFeeds = {};
  for (let i = 0; i < layers; i++) {
    for (const part of ['key', 'value']) {
      feeds[`past_key_values.${i}.${part}`] = new Tensor('float32', new Float32Array(heads * length * dim), [1, heads, length, dim]);
    }
  }
  return feeds;
}
const bytesOf = (length: number) => 2 * 2 * length * 4 * 4;

describe('PromptCache', () => {
  it('gives back what was put under the same key, and nothing under another', () => {
    const cache = new PromptCache(1 << 20);
    const prefix = { length: 3, kv: kv(3) };
    cache.put('a', prefix);
    expect(cache.get('a')).toMatchObject(prefix);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.bytes).toBe(bytesOf(3));
  });

  it('drops the least recently used entries to stay within its bound in bytes', () => {
    const cache = new PromptCache(bytesOf(10) * 2);
    cache.put('a', { length: 10, kv: kv(10) });
    cache.put('b', { length: 10, kv: kv(10) });
    cache.get('a'); // now b is the least recently used
    cache.put('c', { length: 10, kv: kv(10) });
    expect([cache.get('a'), cache.get('b'), cache.get('c')].map((e) => e !== undefined)).toEqual([true, false, true]);
    expect(cache.bytes).toBe(bytesOf(10) * 2);
  });

  it('replaces an entry put twice without counting it twice', () => {
    const cache = new PromptCache(1 << 20);
    cache.put('a', { length: 5, kv: kv(5) });
    cache.put('a', { length: 2, kv: kv(2) });
    expect(cache.get('a')?.length).toBe(2);
    expect(cache.bytes).toBe(bytesOf(2));
  });

  it('forgets everything on clear', () => {
    const cache = new PromptCache(1 << 20);
    cache.put('a', { length: 3, kv: kv(3) });
    cache.clear();
    expect([cache.get('a'), cache.bytes]).toEqual([undefined, 0]);
  });

  it('keeps nothing larger than its bound, and nothing at all with a bound of 0', () => {
    const small = new PromptCache(bytesOf(4));
    small.put('a', { length: 3, kv: kv(3) });
    small.put('big', { length: 5, kv: kv(5) });
    expect(small.get('big')).toBeUndefined();
    expect(small.get('a')).toBeDefined();
    const none = new PromptCache(0);
    none.put('a', { length: 1, kv: kv(1) });
    expect([none.get('a'), none.bytes]).toEqual([undefined, 0]);
  });
});

describe('prefixOfPresent', () => {
  it("keeps each head's first positions, as past_key_values feeds of that length, in the cache's own dtype", () => {
    // [1, 2 heads, 3 positions, 2 values]: value = head*100 + position*10 + index.
    const values = [0, 1, 10, 11, 20, 21, 100, 101, 110, 111, 120, 121];
    const present = {
      'present.0.key': new Tensor('float32', Float32Array.from(values), [1, 2, 3, 2]),
      'present.0.value': new Tensor('float16', Uint16Array.from(values), [1, 2, 3, 2]),
    };
    const prefix = prefixOfPresent(present, 1, 2);
    const key = prefix['past_key_values.0.key'];
    const value = prefix['past_key_values.0.value'];
    expect([key.type, key.dims, Array.from(key.data as Float32Array)]).toEqual([
      'float32',
      [1, 2, 2, 2],
      [0, 1, 10, 11, 100, 101, 110, 111],
    ]);
    expect([value.type, value.dims, Array.from(value.data as Uint16Array)]).toEqual([
      'float16',
      [1, 2, 2, 2],
      [0, 1, 10, 11, 100, 101, 110, 111],
    ]);
    // Copies: the decoder's output buffers are not held alive by the cache.
    expect((key.data as Float32Array).buffer).not.toBe(present['present.0.key'].data.buffer);
  });
});

describe('prefixKey', () => {
  const embeds = Float32Array.from({ length: 12 }, (_, i) => i); // 4 rows of 3
  const key = prefixKey(embeds, 3, [0, 1, 2, 3], 2);

  it('depends only on the first rows and their positions', () => {
    const otherTail = Float32Array.from(embeds, (v, i) => (i >= 6 ? -v : v));
    expect(prefixKey(otherTail, 3, [0, 1, 7, 9], 2)).toBe(key);
  });

  it('changes with a value or a position inside the prefix, and with its length', () => {
    const otherRow = Float32Array.from(embeds, (v, i) => (i === 4 ? 99 : v));
    expect(prefixKey(otherRow, 3, [0, 1, 2, 3], 2)).not.toBe(key);
    expect(prefixKey(embeds, 3, [0, 5, 2, 3], 2)).not.toBe(key);
    expect(prefixKey(embeds, 3, [0, 1, 2, 3], 3)).not.toBe(key);
  });
});
