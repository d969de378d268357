import { describe, expect, it } from 'vitest';
import { gatherRows } from './gather';

describe('gatherRows', () => {
  const features = Float32Array.from([0, 1, 10, 11, 20, 21, 30, 31]);

  it('copies the kept rows in the given order', () => {
    expect(Array.from(gatherRows(features, 2, Int32Array.from([0, 2, 3])))).toEqual([0, 1, 20, 21, 30, 31]);
    expect(gatherRows(features, 2, new Int32Array(0)).length).toBe(0);
  });

  it('refuses rows outside the features and a dim that does not divide them', () => {
    expect(() => gatherRows(features, 2, Int32Array.from([1, 4]))).toThrow(/kept token 4 is outside the 4 feature rows/);
    expect(() => gatherRows(features, 3, Int32Array.from([0]))).toThrow(/8 feature values do not split into rows of 3/);
  });
});
