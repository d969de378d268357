import { describe, expect, it } from 'vitest';
import { median, Samples } from './stats';

describe('median', () => {
  it('takes the middle value, or the mean of the two middle values', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });
});

describe('Samples', () => {
  it('keeps series and stages apart', () => {
    const s = new Samples();
    s.add('ours', 'prefill', 10);
    s.add('ours', 'prefill', 30);
    s.add('ours', 'prefill', 20);
    s.add('ref', 'prefill', 7);
    expect(s.median('ours', 'prefill')).toBe(20);
    expect(s.median('ref', 'prefill')).toBe(7);
    expect(s.median('ref', 'decode')).toBeNaN();
  });
});
