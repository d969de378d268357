// One message for "the disk is full", whichever write hit it (journal, thumbnail, upload).
import { EngineError } from '../engine/errors';

const FULL_DISK_CODES = new Set(['ENOSPC', 'EDQUOT', 'EFBIG']);

/** DISK_FULL for a full disk or quota, the error itself otherwise. */
export function asStorageError(e: unknown, file: string): Error {
  if (FULL_DISK_CODES.has((e as NodeJS.ErrnoException)?.code ?? '')) {
    return new EngineError('DISK_FULL', `Could not save to ${file}: the disk is full. Free some space and try again; nothing saved before was lost.`);
  }
  return e instanceof Error ? e : new Error(String(e));
}
