// Fault: two processes open one data folder. Without a single owner, the second one's journal compaction
// deleted the first one's photo and chat, and two hosts started together each added the demo album. Now
// the second is refused at once, with the holder named, and nothing of the first's is lost.
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AskEvent, ServerEvent } from '../../src-shared/api';
import { createAppService, type AppService } from '../../src-main/service/app-service';
import { DEMO_SCENES } from '../../src-main/service/demo-album';
import { forkLauncher } from '../../src-main/service/engine-process/engine-launcher';

const repoRoot = path.resolve(import.meta.dirname, '../..');
const engineWorker = path.join(repoRoot, 'src-main/service/engine-process/engine-worker.ts');
const IN_USE_HINT = 'Close it first, or use another data folder (vtc serve --data-dir DIR, or the VTC_DATA_DIR variable).';

let root: string;
beforeAll(async () => {
  root = await fsp.mkdtemp(path.join(os.tmpdir(), 'vtc-two-instances-'));
});
afterAll(async () => {
  await fsp.rm(root, { recursive: true, force: true });
});

const openService = (dataDir: string, owner: string) => createAppService({ dataDir, launcher: forkLauncher(engineWorker), owner });

function askEnded(service: AppService, askId: string): Promise<Extract<AskEvent, { type: 'done' | 'error' }>> {
  return new Promise((resolve) => {
    const off = service.onEvent((e: ServerEvent) => {
      if ((e.type === 'done' || e.type === 'error') && e.askId === askId) {
        off();
        resolve(e);
      }
    });
  });
}

describe('two instances on one data folder', () => {
  it('the second service is refused with the holder named; the first keeps its photos and chats', async () => {
    const dataDir = path.join(root, 'services');
    const first = await openService(dataDir, 'VTC Photo Assistant');
    const jpeg = await sharp({ create: { width: 96, height: 64, channels: 3, background: '#c04020' } })
      .jpeg()
      .toBuffer();
    const photo = await first.api.importUpload({ name: 'kept.jpg', base64: jpeg.toString('base64') });
    const { askId } = await first.api.ask({
      photoId: photo.id,
      question: 'Is it still here?',
      method: 'uniform',
      budget: { kind: 'ratio', ratio: 0.5 },
      maxNewTokens: 3,
    });
    await askEnded(first, askId);

    await expect(openService(dataDir, 'vtc serve')).rejects.toMatchObject({
      code: 'DATA_FOLDER_IN_USE',
      message: expect.stringMatching(
        new RegExp(`^The data folder ${dataDir} is in use by "VTC Photo Assistant" \\(pid ${process.pid}, since \\d\\d:\\d\\d\\)\\. `),
      ),
    });

    const stillThere = async (service: AppService) => {
      expect((await service.api.listPhotos({})).map((p) => p.name)).toEqual(['kept.jpg']);
      expect((await service.api.chat({ photoId: photo.id })).map((c) => [c.question, c.result !== undefined])).toEqual([
        ['Is it still here?', true],
      ]);
    };
    await stillThere(first);
    await first.close();
    // And on disk: a fresh owner reads the same library back.
    const reopened = await openService(dataDir, 'VTC Photo Assistant');
    await stillThere(reopened);
    await reopened.close();
  });

  it('two hosts started together on one empty folder: one serves, the other is refused, and the demo album is there once', async () => {
    const dataDir = path.join(root, 'hosts');
    const hosts = [startServe(dataDir), startServe(dataDir)];
    try {
      const outcomes = await Promise.all(hosts.map((h) => h.outcome));
      const winner = outcomes.findIndex((o) => o.ready);
      const loser = 1 - winner;
      expect(outcomes.map((o) => o.ready).sort()).toEqual([false, true]);
      expect(outcomes[loser].code).toBe(1);
      expect(outcomes[loser].output.trim()).toMatch(
        new RegExp(
          `^vtc: The data folder ${dataDir} is in use by "vtc serve" \\(pid ${hosts[winner].child.pid}, since \\d\\d:\\d\\d\\)\\. ${escape(IN_USE_HINT)}$`,
        ),
      );
    } finally {
      await Promise.all(hosts.map((h) => h.stop()));
    }
    const service = await openService(dataDir, 'check');
    const names = (await service.api.listPhotos({})).map((p) => p.name).sort();
    await service.close();
    expect(names).toEqual(Array.from({ length: DEMO_SCENES }, (_, i) => `Demo scene ${i + 1}.png`).sort());
  }, 300_000);
});

interface ServeRun {
  child: ChildProcess;
  /** Settles when the host says it is ready, or exits before that. */
  outcome: Promise<{ ready: boolean; code: number | null; output: string }>;
  stop(): Promise<void>;
}

/** `vtc serve` as a person starts it (its own process group, so stop() also ends the engine it started). */
function startServe(dataDir: string): ServeRun {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src-main/cli/main.ts', 'serve', '--port', '0', '--data-dir', dataDir], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const outcome = new Promise<{ ready: boolean; code: number | null; output: string }>((resolve) => {
    const onData = (chunk: Buffer) => {
      output += chunk;
      if (/VTC host ready: /.test(output)) resolve({ ready: true, code: null, output });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => resolve({ ready: false, code, output }));
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    process.kill(-child.pid!, 'SIGTERM');
    const timer = setTimeout(() => child.exitCode === null && process.kill(-child.pid!, 'SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  return { child, outcome, stop };
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
