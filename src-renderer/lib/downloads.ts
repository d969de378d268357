// Latest download progress per model, from the event stream.
import type { DownloadProgress } from '../../src-shared/api';

export type Downloads = Record<string, DownloadProgress>;

export function applyDownloadEvent(downloads: Downloads, progress: DownloadProgress): Downloads {
  return { ...downloads, [progress.modelId]: progress };
}

/** 0..1, or null while the size is unknown. */
export function downloadFraction(p: DownloadProgress): number | null {
  if (p.state === 'done') return 1;
  return p.totalBytes > 0 ? Math.min(1, p.receivedBytes / p.totalBytes) : null;
}
