import { existsSync, promises as fsp } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EngineError } from '../errors';
import { asStorageError, isDiskFull } from './storage-error';

const errno = (code: string) => Object.assign(new Error(`${code}: write`), { code });

describe('asStorageError', () => {
  // /dev/full answers every write with ENOSPC: a real full disk, on the Linux machines that run these tests.
  it.runIf(existsSync('/dev/full'))('turns a real ENOSPC into DISK_FULL with a message naming the file', async () => {
    const error = await fsp.writeFile('/dev/full', 'photo bytes').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(asStorageError(error, '/data/library.jsonl')).toMatchObject({
      code: 'DISK_FULL',
      message: 'Could not save to /data/library.jsonl: the disk is full. Free some space and try again; nothing saved before was lost.',
    });
  });

  it('maps a full quota and a file over the size limit the same way, with the caller’s next step', () => {
    for (const code of ['ENOSPC', 'EDQUOT', 'EFBIG']) {
      expect(asStorageError(errno(code), '/m/onnx/x.onnx.partial', 'pull again; 1.0 MB kept')).toMatchObject({
        code: 'DISK_FULL',
        message: 'Could not save to /m/onnx/x.onnx.partial: the disk is full. Free some space and pull again; 1.0 MB kept.',
      });
    }
  });

  it('passes other errors through unchanged, and a DISK_FULL already mapped keeps its message', async () => {
    const error = await fsp.readFile('/no/such/file').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(asStorageError(error, '/no/such/file')).toBe(error);
    const mapped = new EngineError('DISK_FULL', 'Could not save to /a: the disk is full. Free some space and pull again.');
    expect(asStorageError(mapped, '/b')).toBe(mapped);
    expect(asStorageError('plain text', '/b')).toEqual(new Error('plain text'));
  });
});

describe('isDiskFull', () => {
  it('knows the raw codes and the mapped error, and nothing else', () => {
    expect(['ENOSPC', 'EDQUOT', 'EFBIG'].map((code) => isDiskFull(errno(code)))).toEqual([true, true, true]);
    expect(isDiskFull(new EngineError('DISK_FULL', 'full'))).toBe(true);
    expect([errno('EIO'), errno('EACCES'), new EngineError('CANCELLED', 'x'), undefined, 'ENOSPC'].map(isDiskFull)).toEqual([
      false,
      false,
      false,
      false,
      false,
    ]);
  });
});
