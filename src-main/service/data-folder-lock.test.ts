import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inUseError, lockDataFolder, removeStaleSocket, type LockAddressKind } from './data-folder-lock';

const lockModule = pathToFileURL(path.join(import.meta.dirname, 'data-folder-lock.ts')).href;

/** A separate Node process that takes the lock and keeps it until it is killed; resolves once it holds it. */
function holderProcess(dataDir: string, kind: LockAddressKind): Promise<ChildProcess> {
  const script = `
    const { lockDataFolder } = await import(${JSON.stringify(lockModule)});
    await lockDataFolder(${JSON.stringify(dataDir)}, 'holder test', { kind: ${JSON.stringify(kind)} });
    console.log('locked');
    setInterval(() => undefined, 60_000);`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let output = '';
    child.stdout!.on('data', (c) => {
      output += c;
      if (output.includes('locked')) resolve(child);
    });
    child.stderr!.on('data', (c) => (output += c));
    child.once('exit', (code) => reject(new Error(`the holder exited (${code}) before it took the lock: ${output}`)));
  });
}

const killed = (child: ChildProcess) => new Promise((resolve) => child.once('exit', resolve));

describe('data folder lock', () => {
  let root: string;
  beforeAll(async () => {
    root = await fsp.mkdtemp(path.join(os.tmpdir(), 'vtc-lock-'));
  });
  afterAll(async () => {
    await fsp.rm(root, { recursive: true, force: true });
  });

  for (const kind of ['abstract', 'file'] as const) {
    describe(`as ${kind === 'abstract' ? 'an abstract socket (Linux)' : 'a socket file (macOS and other Unix)'}`, () => {
      it('refuses a second owner at once, naming the holder, and lets the next one in after release', async () => {
        const dataDir = path.join(root, `${kind}-refuse`);
        const first = await lockDataFolder(dataDir, 'vtc serve', { kind });
        const second = lockDataFolder(dataDir, 'vtc models pull', { kind });
        const since = new Date(first.holder.since);
        const hhmm = `${String(since.getHours()).padStart(2, '0')}:${String(since.getMinutes()).padStart(2, '0')}`;
        await expect(second).rejects.toMatchObject({
          code: 'DATA_FOLDER_IN_USE',
          message:
            `The data folder ${dataDir} is in use by "vtc serve" (pid ${process.pid}, since ${hhmm}). ` +
            'Close it first, or use another data folder (vtc serve --data-dir DIR, or the VTC_DATA_DIR variable).',
        });
        await first.release();
        await first.release(); // twice is harmless
        const next = await lockDataFolder(dataDir, 'vtc models pull', { kind });
        expect(next.holder.owner).toBe('vtc models pull');
        await next.release();
      });

      it('is one lock for every spelling of the folder (a link, "..")', async () => {
        const dataDir = path.join(root, `${kind}-spelling`);
        const link = path.join(root, `${kind}-spelling-link`);
        const lock = await lockDataFolder(dataDir, 'the app', { kind });
        await fsp.symlink(dataDir, link);
        await expect(lockDataFolder(link, 'other', { kind })).rejects.toMatchObject({ code: 'DATA_FOLDER_IN_USE' });
        await expect(lockDataFolder(path.join(dataDir, '..', path.basename(dataDir)), 'other', { kind })).rejects.toMatchObject({
          code: 'DATA_FOLDER_IN_USE',
        });
        await lock.release();
      });

      it('names a holder in another process, and is retaken once that process is killed with SIGKILL', async () => {
        const dataDir = path.join(root, `${kind}-killed`);
        const holder = await holderProcess(dataDir, kind);
        await expect(lockDataFolder(dataDir, 'after', { kind })).rejects.toThrow(`in use by "holder test" (pid ${holder.pid}, since `);
        const exited = killed(holder);
        holder.kill('SIGKILL');
        await exited;
        const lock = await lockDataFolder(dataDir, 'after', { kind });
        expect(lock.holder.owner).toBe('after');
        await lock.release();
      });
    });
  }

  it('a socket file left by a killed holder is replaced, and removed on release', async () => {
    const dataDir = path.join(root, 'stale-file');
    const holder = await holderProcess(dataDir, 'file');
    const socketsBefore = await lockSocketFiles();
    const exited = killed(holder);
    holder.kill('SIGKILL');
    await exited;
    // SIGKILL gives the holder no chance to clean up: its socket file stays, and nobody answers on it.
    expect(await lockSocketFiles()).toEqual(socketsBefore);
    const lock = await lockDataFolder(dataDir, 'after', { kind: 'file' });
    await lock.release();
    const left = await lockSocketFiles();
    expect(socketsBefore.filter((f) => left.includes(f))).toEqual([]);
    expect(left.filter((f) => f.endsWith('.stale'))).toEqual([]);
  });

  it('deletes only the dead socket file it found, never one a faster contender bound there meanwhile', async () => {
    const file = path.join(root, 'race.sock');
    await deadSocketFile(file);
    const dead = await fsp.lstat(file, { bigint: true });
    await removeStaleSocket(file, dead);
    await expect(fsp.lstat(file)).rejects.toMatchObject({ code: 'ENOENT' });

    await deadSocketFile(file);
    const seenDead = await fsp.lstat(file, { bigint: true });
    // Another contender removes that dead file and binds its own socket before this one gets to it.
    await fsp.rm(file);
    const live = net.createServer((socket) => socket.end('alive'));
    await new Promise<void>((resolve) => live.listen(file, resolve));
    await removeStaleSocket(file, seenDead);
    const answer = await new Promise<string>((resolve, reject) => {
      let text = '';
      net
        .connect(file)
        .setEncoding('utf8')
        .on('data', (c) => (text += c))
        .on('end', () => resolve(text))
        .on('error', reject);
    });
    expect(answer).toBe('alive');
    expect((await fsp.readdir(root)).filter((f) => f.endsWith('.stale'))).toEqual([]);
    await new Promise((resolve) => live.close(resolve));
  });

  it('says the date as well when the holder took the folder on another day', () => {
    const since = new Date(2025, 2, 1, 9, 5).getTime();
    const message = inUseError('/data', { owner: 'vtc serve', pid: 42, since }, new Date(2025, 2, 2, 10, 0)).message;
    expect(message).toContain('in use by "vtc serve" (pid 42, since 2025-03-01 09:05).');
    expect(inUseError('/data', undefined).message).toContain('in use by another process (it did not say which).');
  });
});

async function lockSocketFiles(): Promise<string[]> {
  return (await fsp.readdir(os.tmpdir())).filter((f) => f.startsWith('vtc-data-')).sort();
}

/** A socket file nobody listens on, as a killed holder leaves it: bound elsewhere, moved in, then closed. */
async function deadSocketFile(file: string): Promise<void> {
  const bound = `${file}.bound`;
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(bound, resolve));
  await fsp.rename(bound, file);
  await new Promise((resolve) => server.close(resolve));
}
