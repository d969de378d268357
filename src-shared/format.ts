// The one way numbers reach a person, in the app, batch and CLI alike: durations, sizes (decimal units, so a
// "270 MB" in the app is the "270 MB" the CLI printed), counts with their noun, and speed comparisons.

export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '–';
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

/** Decimal units (1 kB = 1000 B), as disks and download sites count. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '–';
  if (bytes < 1e3) return `${Math.round(bytes)} B`;
  if (bytes < 1e6) return `${(bytes / 1e3).toFixed(1)} kB`;
  if (bytes < 1e9) return `${(bytes / 1e6).toFixed(1)} MB`;
  return `${(bytes / 1e9).toFixed(2)} GB`;
}

export function formatPercent(fraction: number): string {
  return `${Math.round(fraction * 100)}%`;
}

/** "1 token", "3 tokens": the noun agrees with the number. */
export function formatCount(n: number, noun: string, plural = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : plural}`;
}

/**
 * How a run compared with its base: "2.4× faster than full", "1.3× slower than full", "as fast as full" (without
 * a base name, where a column header names it: "2.4× faster"). Ratios are shown to one decimal, so anything that
 * rounds to 1.0× reads as the same speed; never a negative "saving". Null when either time is missing or zero
 * (nothing honest to say).
 */
export function formatSpeed(baseMs: number, ms: number, baseName?: string): string | null {
  if (!(baseMs > 0) || !(ms > 0) || !Number.isFinite(baseMs) || !Number.isFinite(ms)) return null;
  const faster = baseMs / ms;
  const than = baseName === undefined ? '' : ` than ${baseName}`;
  if (faster.toFixed(1) === '1.0' && (1 / faster).toFixed(1) === '1.0')
    return baseName === undefined ? 'as fast' : `as fast as ${baseName}`;
  return faster >= 1 ? `${faster.toFixed(1)}× faster${than}` : `${(1 / faster).toFixed(1)}× slower${than}`;
}
