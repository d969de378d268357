import { describe, expect, it } from 'vitest';
import { parseContentRange } from './content-range';

describe('parseContentRange', () => {
  it('reads start, end and total', () => {
    expect(parseContentRange('bytes 100-299/300')).toEqual({ start: 100, end: 299, total: 300 });
    expect(parseContentRange('bytes 0-9/*')).toEqual({ start: 0, end: 9, total: undefined });
  });

  it('gives undefined for absent or malformed headers', () => {
    for (const h of [null, '', 'bytes */300', 'items 0-9/10', 'bytes 1-2/3 extra']) expect(parseContentRange(h)).toBeUndefined();
  });
});
