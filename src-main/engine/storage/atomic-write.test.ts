import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nodeAtomicWriteSteps, syncFolder, writeDurably, writeFileAtomic, type AtomicWriteSteps } from './atomic-write';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vtc-atomic-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const errno = (code: string, step: string) => Object.assign(new Error(`${code}: ${step}`), { code });

/** The real steps, recording each call, with `fail` (if set) throwing at that step. */
function recordingSteps(fail?: { step: keyof AtomicWriteSteps; error: Error }) {
  const calls: string[] = [];
  const steps = {} as AtomicWriteSteps;
  for (const name of Object.keys(nodeAtomicWriteSteps) as Array<keyof AtomicWriteSteps>) {
    const real = nodeAtomicWriteSteps[name] as (...a: unknown[]) => Promise<void>;
    (steps[name] as (...a: unknown[]) => Promise<void>) = async (...args) => {
      calls.push(`${name} ${String(args[0]).replace(dir, '')}`);
      if (fail?.step === name) throw fail.error;
      return real(...args);
    };
  }
  return { steps, calls };
}

describe('writeFileAtomic', () => {
  it('creates the folder, writes the chunks in order through a hidden temp file, and leaves only the target', async () => {
    const file = join(dir, 'sub', 'state.json');
    const { steps, calls } = recordingSteps();
    await writeFileAtomic(file, ['{"a":', new TextEncoder().encode('1'), '}\n'], { steps });
    expect(readFileSync(file, 'utf8')).toBe('{"a":1}\n');
    expect(readdirSync(join(dir, 'sub'))).toEqual(['state.json']);
    const temp = `/sub/.state.json.${process.pid}.`;
    expect(calls).toEqual([
      expect.stringMatching(new RegExp(`^writeDurably ${temp.replace(/\./g, '\\.')}[0-9a-f]{8}\\.tmp$`)),
      expect.stringMatching(/^rename \/sub\/\.state\.json\.\d+\.[0-9a-f]{8}\.tmp$/),
      'syncFolder /sub',
    ]);
  });

  it('replaces an existing file whole', async () => {
    const file = join(dir, 'state.json');
    writeFileSync(file, 'old content that is longer than the new one');
    await writeFileAtomic(file, 'new');
    expect(readFileSync(file, 'utf8')).toBe('new');
  });

  it('a disk that fills up half-way through the write keeps the old file, leaves no temp file and says DISK_FULL', async () => {
    const file = join(dir, 'imported-models.json');
    writeFileSync(file, '{"models":["old"]}\n');
    const steps: Partial<AtomicWriteSteps> = {
      // As on a real disk: the temp file exists and holds some bytes before the write runs out of space.
      async writeDurably(temp, content) {
        await appendFile(temp, String(content).slice(0, 5));
        throw errno('ENOSPC', 'no space left on device, write');
      },
    };
    await expect(writeFileAtomic(file, '{"models":["old","new"]}\n', { steps })).rejects.toMatchObject({
      code: 'DISK_FULL',
      message: `Could not save to ${file}: the disk is full. Free some space and try again; nothing saved before was lost.`,
    });
    expect(readFileSync(file, 'utf8')).toBe('{"models":["old"]}\n');
    expect(readdirSync(dir)).toEqual(['imported-models.json']);
  });

  /** Replaces 'old' by 'new' in library.jsonl with `error` thrown at `step`: what came of it, and what is on disk. */
  async function replaceFailingAt(step: keyof AtomicWriteSteps | 'beforeReplace', error: Error) {
    const file = join(dir, 'library.jsonl');
    writeFileSync(file, 'old\n');
    const { steps } = step === 'beforeReplace' ? recordingSteps() : recordingSteps({ step, error });
    const beforeReplace = step === 'beforeReplace' ? () => Promise.reject(error) : undefined;
    let replaced = false;
    const outcome = await writeFileAtomic(file, 'new\n', { steps, beforeReplace, onReplaced: () => (replaced = true) }).catch(
      (e: unknown) => e,
    );
    return { outcome, replaced, content: readFileSync(file, 'utf8'), names: readdirSync(dir) };
  }

  // Any failure before the rename (an I/O error, the hook, a full quota) must leave the target untouched.
  for (const [step, code] of [
    ['writeDurably', 'EDQUOT'],
    ['rename', 'EIO'],
    ['beforeReplace', 'EIO'],
  ] as const) {
    it(`a failure at ${step} (${code}) keeps the old file and leaves no temp file`, async () => {
      const error = errno(code, step);
      const result = await replaceFailingAt(step, error);
      if (code === 'EDQUOT') expect(result.outcome).toMatchObject({ code: 'DISK_FULL' });
      else expect(result.outcome).toBe(error);
      expect(result).toMatchObject({ replaced: false, content: 'old\n', names: ['library.jsonl'] });
    });
  }

  it('a failed folder flush is reported, but the new content is in place and onReplaced has run', async () => {
    const error = errno('EIO', 'fsync');
    const result = await replaceFailingAt('syncFolder', error);
    expect(result.outcome).toBe(error);
    expect(result).toMatchObject({ replaced: true, content: 'new\n', names: ['library.jsonl'] });
  });

  it('runs beforeReplace after the new content is written and before the target changes', async () => {
    const file = join(dir, 'library.jsonl');
    writeFileSync(file, 'old\n');
    const seen: string[] = [];
    const { steps } = recordingSteps();
    await writeFileAtomic(file, 'new\n', {
      steps,
      temp: join(dir, 'library.jsonl.tmp'),
      beforeReplace: async () => {
        seen.push(readFileSync(file, 'utf8'), readFileSync(join(dir, 'library.jsonl.tmp'), 'utf8'));
      },
    });
    expect(seen).toEqual(['old\n', 'new\n']);
    expect(readdirSync(dir)).toEqual(['library.jsonl']);
  });

  it('refuses to write over a temp file that is already there (another writer), and leaves both files alone', async () => {
    const file = join(dir, 'state.json');
    const temp = join(dir, 'state.json.tmp');
    writeFileSync(temp, 'another writer');
    await expect(writeFileAtomic(file, 'mine', { temp })).rejects.toMatchObject({ code: 'EEXIST' });
    expect(readFileSync(temp, 'utf8')).toBe('another writer');
    expect(existsSync(file)).toBe(false);
  });
});

describe('writeDurably', () => {
  it('replaces, appends, and with wx refuses an existing file', async () => {
    const file = join(dir, 'journal.jsonl');
    await writeDurably(file, 'a\n');
    await writeDurably(file, ['b\n', 'c\n'], 'a');
    expect(readFileSync(file, 'utf8')).toBe('a\nb\nc\n');
    await writeDurably(file, new Uint8Array([0x7a]));
    expect(readFileSync(file, 'utf8')).toBe('z');
    await expect(writeDurably(file, 'x', 'wx')).rejects.toMatchObject({ code: 'EEXIST' });
    expect(readFileSync(file, 'utf8')).toBe('z');
  });
});

describe('syncFolder', () => {
  it('flushes a real folder and reports one that is not there', async () => {
    await expect(syncFolder(dir)).resolves.toBeUndefined();
    await expect(syncFolder(join(dir, 'gone'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
