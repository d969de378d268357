// Small JSON state files (registries, markers) are replaced atomically (storage/atomic-write.ts), so a crash
// or a full disk leaves either the old file or the new one, never half of one.
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../storage/atomic-write';

/** Replaces `path` with `value` as indented JSON; DISK_FULL on a full disk. */
export function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  return writeFileAtomic(path, JSON.stringify(value, null, 2) + '\n');
}

/** The parsed file, or `undefined` when it does not exist. A file that exists but is not JSON is an error. */
export async function readJsonIfExists(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new Error(`${path} is not valid JSON: ${(e as Error).message}`);
  }
}
