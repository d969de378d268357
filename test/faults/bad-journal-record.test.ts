// Fault: a record in the middle of the library journal is damaged (valid JSON of the wrong shape, a garbled
// line). The app must start, keep everything else, set the bad records aside where a person can find them,
// and tell them so in the app.
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createAppService } from '../../src-main/service/app-service';
import { forkLauncher } from '../../src-main/service/engine-process/engine-launcher';

const engineWorker = path.join(import.meta.dirname, '../../src-main/service/engine-process/engine-worker.ts');

describe('a bad record in the middle of library.jsonl', () => {
  let root: string;
  beforeEach(async () => {
    root = await fsp.mkdtemp(path.join(os.tmpdir(), 'vtc-fault-journal-'));
  });
  afterEach(() => fsp.rm(root, { recursive: true, force: true }));

  it('is quarantined with a warning and a notice; everything else is kept', async () => {
    const dataDir = path.join(root, 'data');
    await fsp.mkdir(path.join(root, 'photos'));
    for (const [name, colour] of [
      ['red.png', '#d02020'],
      ['green.png', '#20a020'],
      ['blue.png', '#2020d0'],
    ]) {
      await sharp({ create: { width: 32, height: 24, channels: 3, background: colour } })
        .png()
        .toFile(path.join(root, 'photos', name));
    }
    const first = await createAppService({ dataDir, launcher: forkLauncher(engineWorker) });
    const { added } = await first.api.importPaths({ paths: [path.join(root, 'photos')] });
    await first.api.setSettings({ modelId: 'tiny-smolvlm', ep: 'cpu', threads: 1 });
    const before = await first.api.listPhotos({});
    await first.close();
    expect(added).toHaveLength(3);

    // `null` and a garbled line between the second and third records.
    const journal = path.join(dataDir, 'library.jsonl');
    const lines = (await fsp.readFile(journal, 'utf8')).trimEnd().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(4);
    await fsp.writeFile(journal, [...lines.slice(0, 2), 'null', '{"op":"photo","photo":{"id":', ...lines.slice(2)].join('\n') + '\n');

    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const service = await createAppService({ dataDir, launcher: forkLauncher(engineWorker) });
    const warnings = warn.mock.calls.map((c) => String(c[0]));
    warn.mockRestore();
    try {
      const quarantine = path.join(dataDir, 'library.quarantine.jsonl');
      expect(await service.api.listPhotos({})).toEqual(before);
      expect(await service.api.getSettings()).toEqual({ modelId: 'tiny-smolvlm', ep: 'cpu', threads: 1 });
      expect(warnings).toContain(`${journal}: 2 unreadable record(s) were moved to ${quarantine}.`);
      expect(await service.invoke('libraryHealth', {})).toEqual({
        readOnly: false,
        notices: [
          `2 records in the library file library.jsonl could not be read and were set aside in ${quarantine}. Everything else in your library was kept.`,
        ],
      });
      const setAside = (await fsp.readFile(quarantine, 'utf8'))
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(setAside.map((r) => [r.line, r.text, r.reason])).toEqual([
        [3, 'null', 'record must be an object, got null'],
        [4, '{"op":"photo","photo":{"id":', 'not valid JSON'],
      ]);
      // The library goes on working and writing.
      await service.api.removePhoto({ photoId: before[0].id });
      expect(await service.api.listPhotos({})).toHaveLength(2);
    } finally {
      await service.close();
    }
  });
});
