import { existsSync, promises as fsp } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { asStorageError } from './storage-error';

describe('asStorageError', () => {
  // /dev/full answers every write with ENOSPC: a real full disk, on the Linux machines that run these tests.
  it.runIf(existsSync('/dev/full'))('turns a real ENOSPC into DISK_FULL with a message naming the file', async () => {
    const error = await fsp.writeFile('/dev/full', 'photo bytes').then(() => undefined, (e: unknown) => e);
    expect(asStorageError(error, '/data/library.jsonl')).toMatchObject({
      code: 'DISK_FULL',
      message: 'Could not save to /data/library.jsonl: the disk is full. Free some space and try again; nothing saved before was lost.',
    });
  });

  it('passes other errors through unchanged', async () => {
    const error = await fsp.readFile('/no/such/file').then(() => undefined, (e: unknown) => e);
    expect(asStorageError(error, '/no/such/file')).toBe(error);
  });
});
