import { describe, expect, it } from 'vitest';
import { formatBytes, formatMs, formatPercent } from './format';

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
  it('uses binary units', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(270 * 1024 * 1024)).toBe('270 MB');
    expect(formatBytes(-1)).toBe('–');
  });
});

describe('formatPercent', () => {
  it('rounds to whole percent', () => {
    expect(formatPercent(0.256)).toBe('26%');
  });
});
