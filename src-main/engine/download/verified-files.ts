// Which files of a model folder have been checked against their sha256, keyed by size and mtime, so that
// a later pull (or a start-up check) does not re-hash hundreds of MB that nobody has touched since.
import type { Stats } from 'node:fs';
import { join } from 'node:path';
import { readJsonIfExists, writeJsonAtomic } from '../catalog/json-file';

export const VERIFIED_MARKER = '.vtc-verified.json';

export interface VerifiedEntry {
  bytes: number;
  mtimeMs: number;
  sha256: string;
}

export type VerifiedFiles = Record<string, VerifiedEntry>;

export async function readVerifiedFiles(modelDir: string): Promise<VerifiedFiles> {
  // The marker is only a cache: a damaged one just means "verify again".
  const value = await readJsonIfExists(join(modelDir, VERIFIED_MARKER)).catch(() => undefined);
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as VerifiedFiles) : {};
}

export function writeVerifiedFiles(modelDir: string, files: VerifiedFiles): Promise<void> {
  return writeJsonAtomic(join(modelDir, VERIFIED_MARKER), files);
}

/** True when the file on disk is the one recorded as verified against `sha256`. */
export function isRecordedVerified(entry: VerifiedEntry | undefined, stats: Stats, sha256: string): boolean {
  return entry !== undefined && entry.sha256 === sha256 && entry.bytes === stats.size && entry.mtimeMs === stats.mtimeMs;
}
