import { describe, expect, it } from 'vitest';
import { formatBytes, formatCount, formatMs, formatPercent, formatSpeed } from './format';

describe('formatMs', () => {
  it('switches units at one second and keeps sub-millisecond precision', () => {
    expect(formatMs(0.25)).toBe('0.25 ms');
    expect(formatMs(412.6)).toBe('413 ms');
    expect(formatMs(1530)).toBe('1.53 s');
    expect(formatMs(65_000)).toBe('65.0 s');
    expect(formatMs(Number.NaN)).toBe('–');
  });
});

describe('formatBytes', () => {
  it('uses decimal units, the same in the app and the CLI', () => {
    expect([512, 7_353, 86_562_901, 2_500_000_000].map(formatBytes)).toEqual(['512 B', '7.4 kB', '86.6 MB', '2.50 GB']);
    expect(formatBytes(-1)).toBe('–');
  });
});

describe('formatPercent', () => {
  it('rounds to whole percent', () => {
    expect(formatPercent(0.256)).toBe('26%');
  });
});

describe('formatCount', () => {
  it('makes the noun agree with the number', () => {
    expect([0, 1, 2].map((n) => formatCount(n, 'token'))).toEqual(['0 tokens', '1 token', '2 tokens']);
    expect(formatCount(1, 'copy', 'copies')).toBe('1 copy');
    expect(formatCount(3, 'copy', 'copies')).toBe('3 copies');
  });
});

describe('formatSpeed', () => {
  it('names the base and says faster or slower, never a negative saving', () => {
    expect(formatSpeed(1000, 400, 'full')).toBe('2.5× faster than full');
    expect(formatSpeed(400, 1000, 'full')).toBe('2.5× slower than full');
    expect(formatSpeed(1000, 980, 'full')).toBe('as fast as full');
    expect(formatSpeed(1000, 1030, 'transformers.js')).toBe('as fast as transformers.js');
  });

  it('leaves the base out where a header names it', () => {
    expect(formatSpeed(300, 100)).toBe('3.0× faster');
    expect(formatSpeed(100, 300)).toBe('3.0× slower');
    expect(formatSpeed(100, 101)).toBe('as fast');
  });

  it('has nothing to say without two positive times', () => {
    expect(formatSpeed(0, 400, 'full')).toBeNull();
    expect(formatSpeed(1000, 0, 'full')).toBeNull();
    expect(formatSpeed(Number.NaN, 10, 'full')).toBeNull();
  });
});
