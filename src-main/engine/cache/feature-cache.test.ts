import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { encodeEntry } from './entry-format';
import { FeatureCache } from './feature-cache';
import { KEY_A, KEY_B, KEY_C, KEY_D, sampleVision } from '../test/cache/values';

const root = mkdtempSync(join(tmpdir(), 'vtc-cache-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const freshDir = () => join(root, `c${dirs++}`);
const entrySize = encodeEntry(KEY_A, sampleVision()).length;
// A pid no process has (above every OS's pid limit): the writer of its temp files is gone.
const DEAD_PID = 2_147_483_646;

describe('FeatureCache', () => {
  it('misses, then returns what was put', async () => {
    const cache = new FeatureCache({ dir: freshDir(), maxBytes: 1 << 20 });
    expect(await cache.get(KEY_A)).toBeUndefined();
    expect(await cache.put(KEY_A, sampleVision(3))).toBe(true);
    const back = await cache.get(KEY_A);
    expect(back?.features).toEqual(sampleVision(3).features);
    expect(back?.attention?.byKind.cls?.get(1)).toEqual(sampleVision().attention?.byKind.cls?.get(1));
    expect(back?.meta).toEqual(sampleVision().meta);
    expect(await cache.usage()).toEqual({ entries: 1, bytes: entrySize });
  });

  it('replaces an entry put again under the same key', async () => {
    const cache = new FeatureCache({ dir: freshDir(), maxBytes: 1 << 20 });
    await cache.put(KEY_A, sampleVision(1));
    await cache.put(KEY_A, sampleVision(2));
    expect((await cache.get(KEY_A))?.features[0]).toBe(2);
    expect((await cache.usage()).entries).toBe(1);
  });

  it('evicts the least recently used entries to stay under maxBytes', async () => {
    const cache = new FeatureCache({ dir: freshDir(), maxBytes: 3 * entrySize });
    await cache.put(KEY_A, sampleVision());
    await cache.put(KEY_B, sampleVision());
    await cache.put(KEY_C, sampleVision());
    expect(await cache.get(KEY_A)).toBeDefined(); // A is now more recent than B and C
    await cache.put(KEY_D, sampleVision());
    expect(await cache.get(KEY_B)).toBeUndefined();
    for (const key of [KEY_A, KEY_C, KEY_D]) expect(await cache.get(key)).toBeDefined();
    await cache.put(KEY_B, sampleVision()); // order of use now: A, C, D, B → A goes
    expect(await cache.get(KEY_A)).toBeUndefined();
    expect(await cache.usage()).toEqual({ entries: 3, bytes: 3 * entrySize });
  });

  it('shares recency with another instance on the same folder (another process)', async () => {
    const dir = freshDir();
    const first = new FeatureCache({ dir, maxBytes: 2 * entrySize });
    const second = new FeatureCache({ dir, maxBytes: 2 * entrySize });
    await first.put(KEY_A, sampleVision());
    await first.put(KEY_B, sampleVision());
    await second.get(KEY_A);
    await second.put(KEY_C, sampleVision());
    expect(await first.get(KEY_B)).toBeUndefined();
    expect(await first.get(KEY_A)).toBeDefined();
  });

  it('does not store an entry larger than the whole cache', async () => {
    const cache = new FeatureCache({ dir: freshDir(), maxBytes: entrySize - 1 });
    expect(await cache.put(KEY_A, sampleVision())).toBe(false);
    expect(await cache.get(KEY_A)).toBeUndefined();
  });

  it('drops a truncated entry instead of failing', async () => {
    const dir = freshDir();
    const cache = new FeatureCache({ dir, maxBytes: 1 << 20 });
    await cache.put(KEY_A, sampleVision());
    truncateSync(join(dir, `${KEY_A}.vtcf`), entrySize - 7);
    expect(await cache.get(KEY_A)).toBeUndefined();
    expect(existsSync(join(dir, `${KEY_A}.vtcf`))).toBe(false);
  });

  it('drops a corrupted entry instead of failing', async () => {
    const dir = freshDir();
    const cache = new FeatureCache({ dir, maxBytes: 1 << 20 });
    await cache.put(KEY_A, sampleVision());
    const path = join(dir, `${KEY_A}.vtcf`);
    const bytes = readFileSync(path);
    bytes[bytes.length - 50] ^= 0xff;
    writeFileSync(path, bytes);
    expect(await cache.get(KEY_A)).toBeUndefined();
    expect(existsSync(path)).toBe(false);
  });

  it('ignores the temp file of a writer that crashed, and sweeps it away', async () => {
    const dir = freshDir();
    const cache = new FeatureCache({ dir, maxBytes: 1 << 20 });
    await cache.put(KEY_B, sampleVision());
    const torn = join(dir, `.${KEY_A}.${DEAD_PID}.0badf00d.tmp`);
    writeFileSync(torn, encodeEntry(KEY_A, sampleVision()).subarray(0, 100));
    expect(await cache.get(KEY_A)).toBeUndefined();
    await cache.put(KEY_C, sampleVision());
    expect(existsSync(torn)).toBe(false);
    expect((await cache.usage()).entries).toBe(2);
  });

  it('leaves a live writer its temp file unless it is stale', async () => {
    const dir = freshDir();
    const cache = new FeatureCache({ dir, maxBytes: 1 << 20, staleTempMs: 60_000 });
    await cache.put(KEY_B, sampleVision());
    const inFlight = join(dir, `.${KEY_A}.${process.pid}.00000001.tmp`);
    writeFileSync(inFlight, 'partial');
    await cache.sweep();
    expect(existsSync(inFlight)).toBe(true);
    const old = new Date(Date.now() - 120_000);
    utimesSync(inFlight, old, old);
    await cache.sweep();
    expect(existsSync(inFlight)).toBe(false);
  });

  it('never serves a torn entry from a writer killed mid-write', async () => {
    const dir = freshDir();
    const rows = 4096;
    const dim = 256; // 4 MiB per write: long enough for the parent to catch one in flight
    const moduleUrl = new URL('./feature-cache.ts', import.meta.url).href;
    const script = join(root, 'killed-writer.mts');
    writeFileSync(
      script,
      `import { FeatureCache } from ${JSON.stringify(moduleUrl)};
const cache = new FeatureCache({ dir: ${JSON.stringify(dir)}, maxBytes: 1 << 30 });
for (let i = 1; ; i++) {
  await cache.put(${JSON.stringify(KEY_A)}, { features: new Float32Array(${rows * dim}).fill(i), featureDims: [${rows}, ${dim}], meta: { i } });
  if (i === 1) process.stdout.write('ready\\n');
}
`,
    );
    const tsxLoader = fileURLToPath(import.meta.resolve('tsx'));
    for (let round = 0; round < 2; round++) {
      const child = spawn(process.execPath, ['--import', tsxLoader, script], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((resolve, reject) => {
        child.stdout.once('data', () => resolve());
        child.once('exit', (code) => reject(new Error(`writer exited early with ${code}`)));
      });
      // Kill it the moment a write is under way: its temp file exists, the rename has not happened.
      const writing = () => readdirSync(dir).some((name) => name.endsWith('.tmp'));
      const deadline = Date.now() + 10_000;
      while (!writing() && Date.now() < deadline);
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      expect(writing()).toBe(true);

      const cache = new FeatureCache({ dir, maxBytes: 1 << 30 });
      const value = await cache.get(KEY_A);
      expect(value).toBeDefined(); // the first complete write was renamed into place before 'ready'
      const i = (value?.meta as { i: number }).i;
      expect(value?.features.length).toBe(rows * dim);
      expect(value?.features.every((v) => v === i)).toBe(true);
      await cache.sweep();
      expect(readdirSync(dir)).toEqual([`${KEY_A}.vtcf`]);
    }
  });

  it('refuses keys that are not digests and a negative size', async () => {
    const cache = new FeatureCache({ dir: freshDir(), maxBytes: 1 });
    await expect(cache.get('../../etc/passwd')).rejects.toThrow(/must be a sha256 hex digest, got '..\/..\/etc\/passwd'/);
    await expect(cache.put('ABC', sampleVision())).rejects.toThrow(/must be a sha256 hex digest, got 'ABC'/);
    expect(() => new FeatureCache({ dir: freshDir(), maxBytes: -1 })).toThrow(/bytes >= 0, got -1/);
  });

  it('on a full disk stores nothing, leaves no temp file and says so once', async () => {
    const dir = freshDir();
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      // The write starts (the temp file exists, as on a real disk) and then runs out of space.
      const writeNewFile = async (file: string, bytes: Uint8Array) => {
        writeFileSync(file, bytes.subarray(0, 8));
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      };
      const cache = new FeatureCache({ dir, maxBytes: 1 << 20, writeNewFile });
      expect(await cache.put(KEY_A, sampleVision())).toBe(false);
      expect(await cache.put(KEY_B, sampleVision())).toBe(false);
      expect(readdirSync(dir)).toEqual([]);
      expect(await cache.get(KEY_A)).toBeUndefined();
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0][0])).toMatch(/could not save vision features in .*\(the disk is full\)/);
    } finally {
      warn.mockRestore();
    }
  });

  it('says the disk is full for a full quota (EDQUOT) too', async () => {
    const dir = freshDir();
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const writeNewFile = async () => {
        throw Object.assign(new Error('EDQUOT: disk quota exceeded, write'), { code: 'EDQUOT' });
      };
      expect(await new FeatureCache({ dir, maxBytes: 1 << 20, writeNewFile }).put(KEY_A, sampleVision())).toBe(false);
      expect(String(warn.mock.calls[0][0])).toMatch(/could not save vision features in .*\(the disk is full\)/);
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      warn.mockRestore();
    }
  });

  it('treats a folder it cannot use (its path is a file) as misses and unsaved entries', async () => {
    const dir = freshDir();
    writeFileSync(dir, 'not a folder');
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const cache = new FeatureCache({ dir, maxBytes: 1 << 20 });
      expect(await cache.get(KEY_A)).toBeUndefined();
      expect(await cache.put(KEY_A, sampleVision())).toBe(false);
      expect(await cache.get(KEY_A)).toBeUndefined();
      expect(warn).toHaveBeenCalledTimes(1);
      expect(readFileSync(dir, 'utf8')).toBe('not a folder');
    } finally {
      warn.mockRestore();
    }
  });

  it('stamps the last use on read', async () => {
    const dir = freshDir();
    const cache = new FeatureCache({ dir, maxBytes: 1 << 20 });
    await cache.put(KEY_A, sampleVision());
    const path = join(dir, `${KEY_A}.vtcf`);
    const old = new Date(Date.now() - 3_600_000);
    utimesSync(path, old, old);
    await cache.get(KEY_A);
    expect(statSync(path).mtimeMs).toBeGreaterThan(old.getTime() + 3_000_000);
  });
});
