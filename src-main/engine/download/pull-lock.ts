// One pull per model folder at a time, across processes (the app and the CLI may both be asked): two writers
// appending to the same .partial would corrupt it. The lock file holds the owner's pid, so a lock left by a
// process that died is recognised and taken over.
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EngineError } from '../errors';

export const PULL_LOCK = '.vtc-pull.lock';

function isRunning(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the model folder's pull lock; resolves to the function that releases it. */
export async function acquirePullLock(modelDir: string, modelId: string): Promise<() => Promise<void>> {
  const path = join(modelDir, PULL_LOCK);
  for (;;) {
    try {
      await writeFile(path, String(process.pid), { flag: 'wx' });
      return () => rm(path, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const owner = Number(await readFile(path, 'utf8').catch(() => ''));
    if (isRunning(owner)) {
      throw new EngineError(
        'DOWNLOAD_FAILED',
        `${modelId} is already being downloaded by process ${owner}; wait for it to finish or stop it`,
      );
    }
    await rm(path, { force: true });
  }
}
