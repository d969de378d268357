import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readJsonIfExists, writeJsonAtomic } from './json-file';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vtc-json-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('JSON state files', () => {
  it('writes into a new folder, replaces the old content, and leaves no temporary file', async () => {
    const path = join(dir, 'sub', 'state.json');
    await writeJsonAtomic(path, { a: 1 });
    await writeJsonAtomic(path, { a: 2 });
    expect(await readJsonIfExists(path)).toEqual({ a: 2 });
    expect(readdirSync(join(dir, 'sub'))).toEqual(['state.json']);
  });

  it('reads a missing file as undefined and names a file that is not JSON', async () => {
    expect(await readJsonIfExists(join(dir, 'none.json'))).toBeUndefined();
    writeFileSync(join(dir, 'bad.json'), '{"a":');
    await expect(readJsonIfExists(join(dir, 'bad.json'))).rejects.toThrow(`${join(dir, 'bad.json')} is not valid JSON`);
  });
});
