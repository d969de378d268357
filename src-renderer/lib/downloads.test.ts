import { describe, expect, it } from 'vitest';
import type { DownloadProgress } from '../../src-shared/api';
import { applyDownloadEvent, downloadFraction } from './downloads';

const progress = (p: Partial<DownloadProgress>): DownloadProgress => ({
  modelId: 'smolvlm',
  file: 'model.onnx',
  receivedBytes: 0,
  totalBytes: 0,
  state: 'downloading',
  ...p,
});

describe('downloads', () => {
  it('keeps the latest progress per model', () => {
    let d = applyDownloadEvent({}, progress({ receivedBytes: 10, totalBytes: 100 }));
    d = applyDownloadEvent(d, progress({ modelId: 'other', receivedBytes: 1, totalBytes: 2 }));
    d = applyDownloadEvent(d, progress({ receivedBytes: 40, totalBytes: 100, state: 'paused' }));
    expect(d.smolvlm).toMatchObject({ receivedBytes: 40, state: 'paused' });
    expect(Object.keys(d).sort()).toEqual(['other', 'smolvlm']);
  });

  it('reports a fraction, full when done and unknown without a size', () => {
    expect(downloadFraction(progress({ receivedBytes: 25, totalBytes: 100 }))).toBe(0.25);
    expect(downloadFraction(progress({ receivedBytes: 25, totalBytes: 0 }))).toBeNull();
    expect(downloadFraction(progress({ state: 'done' }))).toBe(1);
  });
});
