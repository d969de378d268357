// One meaning and one message for "the disk is full", whichever write hit it (the library journal, a
// thumbnail, an upload, a download, the photo cache, a catalog file, an instrumented graph). A full quota
// (EDQUOT) and a file over the size limit (EFBIG, e.g. 4 GiB on FAT32) leave the person with the same
// remedy, so they are the same error.
import { EngineError, isEngineError } from '../errors';

const FULL_DISK_CODES: ReadonlySet<string> = new Set(['ENOSPC', 'EDQUOT', 'EFBIG']);

/** True for a write that failed for want of space, raw (ENOSPC, EDQUOT, EFBIG) or already mapped (DISK_FULL). */
export function isDiskFull(e: unknown): boolean {
  if (isEngineError(e)) return e.code === 'DISK_FULL';
  return FULL_DISK_CODES.has((e as NodeJS.ErrnoException | undefined)?.code ?? '');
}

/**
 * DISK_FULL for a full disk or quota, the error itself otherwise (an Error already mapped passes through).
 * `then`: what to do once space is freed and what is kept, after "Free some space and ".
 */
export function asStorageError(e: unknown, file: string, then = 'try again; nothing saved before was lost'): Error {
  if (!isEngineError(e) && isDiskFull(e)) {
    return new EngineError('DISK_FULL', `Could not save to ${file}: the disk is full. Free some space and ${then}.`);
  }
  return e instanceof Error ? e : new Error(String(e));
}
