import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hashFileInto, sha256File } from './file-hash';

const dir = mkdtempSync(join(tmpdir(), 'vtc-file-hash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('sha256File', () => {
  it('is sha256 hex (FIPS 180-2 "abc" vector)', async () => {
    const path = join(dir, 'abc.txt');
    writeFileSync(path, 'abc');
    expect(await sha256File(path)).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('streams a file of several chunks to the same digest as its bytes', async () => {
    const bytes = Buffer.alloc(3 * 1024 * 1024 + 5, 0x5a);
    bytes[2 * 1024 * 1024] = 1; // a change inside a later chunk must change the digest
    const path = join(dir, 'photo.bin');
    writeFileSync(path, bytes);
    expect(await sha256File(path)).toBe(createHash('sha256').update(bytes).digest('hex'));
  });

  it('says which file is missing, and a folder is no file', async () => {
    await expect(sha256File(join(dir, 'gone.jpg'))).rejects.toMatchObject({
      code: 'FILE_NOT_FOUND',
      message: `cannot read ${join(dir, 'gone.jpg')}: no such file`,
    });
    mkdirSync(join(dir, 'folder.onnx'));
    await expect(sha256File(join(dir, 'folder.onnx'))).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
  });
});

describe('hashFileInto', () => {
  it('continues a hash: a kept prefix plus the rest digests like the whole file', async () => {
    const path = join(dir, 'partial');
    writeFileSync(path, 'first half, ');
    const hash = createHash('sha256');
    await hashFileInto(hash, path);
    hash.update('second half');
    expect(hash.digest('hex')).toBe(createHash('sha256').update('first half, second half').digest('hex'));
  });
});
