// Fault: the disk is full. At start-up the app must still open (read-only, saying so), and a question must
// still be answered when the vision cache cannot be written.
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AskEvent, ServerEvent } from '../../src-shared/api';
import { createAppService, type AppService } from '../../src-main/service/app-service';
import { forkLauncher } from '../../src-main/service/engine-process/engine-launcher';
import { nodeJournalFileSystem, type JournalFileSystem } from '../../src-main/service/journal';

const engineWorker = path.join(import.meta.dirname, '../../src-main/service/engine-process/engine-worker.ts');
const ENOSPC = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });

/** The real file system, except that while `full` every write fails with ENOSPC. */
function fullDisk() {
  const state = { full: true };
  const fs: JournalFileSystem = {
    ...nodeJournalFileSystem,
    appendDurably: (file, data) => (state.full ? Promise.reject(ENOSPC()) : nodeJournalFileSystem.appendDurably(file, data)),
    writeDurably: (file, data) => (state.full ? Promise.reject(ENOSPC()) : nodeJournalFileSystem.writeDurably(file, data)),
  };
  return { fs, state };
}

async function writePhotos(dir: string): Promise<string[]> {
  await fsp.mkdir(dir, { recursive: true });
  const files = [];
  for (const [name, colour] of [
    ['red.png', '#d02020'],
    ['green.png', '#20a020'],
  ]) {
    const file = path.join(dir, name);
    await sharp({ create: { width: 48, height: 32, channels: 3, background: colour } })
      .png()
      .toFile(file);
    files.push(file);
  }
  return files;
}

function events(service: AppService) {
  const seen: ServerEvent[] = [];
  service.onEvent((e) => seen.push(e));
  return seen;
}

describe('a full disk', () => {
  let root: string;
  beforeEach(async () => {
    root = await fsp.mkdtemp(path.join(os.tmpdir(), 'vtc-fault-disk-'));
  });
  afterEach(() => fsp.rm(root, { recursive: true, force: true }));

  it('at open: the app opens read-only with everything in it, refuses changes with DISK_FULL, and leaves read-only once space is freed', async () => {
    const dataDir = path.join(root, 'data');
    const [red, green] = await writePhotos(path.join(root, 'photos'));
    const first = await createAppService({ dataDir, launcher: forkLauncher(engineWorker) });
    await first.api.importPaths({ paths: [red] });
    const before = await first.api.listPhotos({});
    await first.close();
    // The last write before the disk filled up was torn: open would have to rewrite the file to repair it.
    await fsp.appendFile(path.join(dataDir, 'library.jsonl'), '{"op":"photo","photo":{"id":"x","na');

    const { fs, state } = fullDisk();
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const service = await createAppService({ dataDir, launcher: forkLauncher(engineWorker), journalFs: fs, readOnlyRetryMs: 50 });
    warn.mockRestore();
    try {
      const seen = events(service);
      expect(await service.api.listPhotos({})).toEqual(before);
      expect(await service.invoke('libraryHealth', {})).toMatchObject({ readOnly: true });
      await expect(service.api.importPaths({ paths: [green] })).rejects.toMatchObject({
        code: 'DISK_FULL',
        message: expect.stringMatching(
          /^Could not save to .*: the disk is full\. Free some space and try again; nothing saved before was lost\.$/,
        ),
      });
      await expect(service.api.removePhoto({ photoId: before[0].id })).rejects.toMatchObject({ code: 'DISK_FULL' });
      expect(await service.api.listPhotos({})).toEqual(before);

      state.full = false;
      await vi.waitFor(() => expect(seen).toContainEqual({ type: 'library-read-only', readOnly: false }), { timeout: 5000 });
      expect(await service.invoke('libraryHealth', {})).toMatchObject({ readOnly: false });
      await service.api.importPaths({ paths: [green] });
      expect(await service.api.listPhotos({})).toHaveLength(2);
    } finally {
      await service.close();
    }
  });

  it('mid-question: the answer comes back although the vision cache cannot be written', async () => {
    const dataDir = path.join(root, 'data');
    const [red] = await writePhotos(path.join(root, 'photos'));
    // The cache folder's parent is a file, so every cache write fails (ENOTDIR), as a full or read-only disk
    // would make it fail; chmod cannot make a folder unwritable for root.
    await fsp.mkdir(dataDir, { recursive: true });
    await fsp.writeFile(path.join(dataDir, 'cache'), 'not a folder');
    const service = await createAppService({ dataDir, launcher: forkLauncher(engineWorker) });
    try {
      const seen = events(service);
      await service.api.setSettings({ modelId: 'tiny-smolvlm', ep: 'cpu', threads: 1 });
      const { added } = await service.api.importPaths({ paths: [red] });
      for (const question of ['What is this?', 'And again?']) {
        const { askId } = await service.api.ask({
          photoId: added[0].id,
          question,
          method: 'uniform',
          budget: { kind: 'ratio', ratio: 0.5 },
          maxNewTokens: 4,
        });
        await vi.waitFor(() => expect(seen.some((e) => (e.type === 'done' || e.type === 'error') && e.askId === askId)).toBe(true), {
          timeout: 120_000,
          interval: 50,
        });
        const end = seen.find(
          (e): e is Extract<AskEvent, { type: 'done' | 'error' }> => (e.type === 'done' || e.type === 'error') && e.askId === askId,
        );
        expect(end).toMatchObject({ type: 'done' });
        const entry = (end as Extract<AskEvent, { type: 'done' }>).entry;
        expect(entry.result!.full.tokens.length).toBeGreaterThan(0);
        // Nothing was cached, so the second question encodes the photo again.
        expect(entry.result!.full.visionCached).toBe(false);
      }
      expect(await fsp.readFile(path.join(dataDir, 'cache'), 'utf8')).toBe('not a folder');
    } finally {
      await service.close();
    }
  });
});
