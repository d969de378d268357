import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { InferenceSession } from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AskEvent, BatchEvent, ChatEntry, EngineStatusEvent, ImportEvent, ImportReport, ServerEvent } from '../../src-shared/api';
import { REPO_ROOT } from '../engine/test/paths';
import { createAppService, type AppService } from './app-service';
import { forkLauncher } from './engine-process/engine-launcher';

const engineWorker = path.join(import.meta.dirname, 'engine-process', 'engine-worker.ts');
// The embedded tiny-smolvlm has random weights: its answers are gibberish, but every stage really runs.
const askArgs = { method: 'uniform', budget: { kind: 'ratio', ratio: 0.5 }, maxNewTokens: 6 } as const;

async function writePhoto(file: string, colour: string, orientation?: number): Promise<void> {
  let img = sharp({ create: { width: 96, height: 64, channels: 3, background: colour } }).jpeg();
  if (orientation) img = img.withMetadata({ orientation });
  await fsp.writeFile(file, await img.toBuffer());
}

/** Collects the service's events and waits for the one that ends an ask or a batch. */
function recorder(service: AppService) {
  const events: ServerEvent[] = [];
  const waiters: Array<() => void> = [];
  service.onEvent((e) => {
    events.push(e);
    waiters.splice(0).forEach((w) => w());
  });
  const until = async <T extends ServerEvent>(match: (e: ServerEvent) => e is T): Promise<T> => {
    for (;;) {
      const found = events.find(match);
      if (found) return found;
      await new Promise<void>((r) => waiters.push(r));
    }
  };
  return { events, until };
}

const askEnd =
  (askId: string) =>
  (e: ServerEvent): e is Extract<AskEvent, { type: 'done' | 'error' }> =>
    (e.type === 'done' || e.type === 'error') && e.askId === askId;

describe('AppService with the real engine process', () => {
  let root: string;
  let dataDir: string;
  let service: AppService;
  let photoIds: string[];

  beforeAll(async () => {
    root = await fsp.mkdtemp(path.join(os.tmpdir(), 'vtc-service-'));
    dataDir = path.join(root, 'data');
    await fsp.mkdir(path.join(root, 'photos'));
    await writePhoto(path.join(root, 'photos', 'red.jpg'), '#d02020');
    await writePhoto(path.join(root, 'photos', 'green.jpg'), '#20a020');
    service = await createAppService({ dataDir, launcher: forkLauncher(engineWorker), restartDelayMs: 100 });
    const report = await service.api.importPaths({ paths: [path.join(root, 'photos')] });
    photoIds = report.added.map((p) => p.id);
  });
  afterAll(async () => {
    await service.close();
    await fsp.rm(root, { recursive: true, force: true });
  });

  it('defaults to the embedded model on the CPU and lists what this machine offers', async () => {
    const settings = await service.api.getSettings();
    const embedded = (await service.api.listModels()).filter((m) => m.embedded && m.installed).map((m) => m.id);
    // tiny-llava answers questions about the demo scenes, so it is preferred when it is there.
    expect(settings.modelId).toBe(embedded.includes('tiny-llava') ? 'tiny-llava' : 'tiny-smolvlm');
    expect(settings.ep).toBe('cpu');
    const info = await service.api.machineInfo();
    expect(info.providers).toContain('cpu');
    expect(info.cpus).toBeGreaterThan(0);
  });

  it('streams full and pruned tokens, stores the answer, and a follow-up carries the history', async () => {
    const rec = recorder(service);
    const { askId } = await service.api.ask({ photoId: photoIds[0], question: 'What colour is this?', ...askArgs });
    const done = await rec.until(askEnd(askId));
    expect(done.type).toBe('done');
    const entry = (done as Extract<AskEvent, { type: 'done' }>).entry;
    const tokens = (side: string) =>
      rec.events.filter((e): e is Extract<AskEvent, { type: 'token' }> => e.type === 'token' && e.askId === askId && e.side === side);
    expect(
      tokens('full')
        .map((t) => t.text)
        .join(''),
    ).toBe(entry.result!.full.text);
    expect(
      tokens('pruned')
        .map((t) => t.text)
        .join(''),
    ).toBe(entry.result!.pruned.text);
    expect(entry.result!.pruned.counts.visualTokens).toBeLessThan(entry.result!.full.counts.visualTokens);

    const { askId: followId } = await service.api.ask({ photoId: photoIds[0], question: 'And the shape?', ...askArgs });
    const follow = (await rec.until(askEnd(followId))) as Extract<AskEvent, { type: 'done' }>;
    // The first exchange rides along as history, so the follow-up's prompt is longer than its question alone makes it.
    expect(follow.entry.result!.full.counts.promptTokens).toBeGreaterThan(entry.result!.full.counts.promptTokens);
    // The second question on a photo reuses its vision features from the cache in the data folder.
    expect(entry.result!.full.visionCached).toBe(false);
    expect(follow.entry.result!.full.visionCached).toBe(true);
    expect((await fsp.readdir(path.join(dataDir, 'cache', 'vision-features'))).length).toBeGreaterThan(0);
    expect((await service.api.chat({ photoId: photoIds[0] })).map((c) => c.question)).toEqual(['What colour is this?', 'And the shape?']);
    expect((await service.api.listPhotos({ query: 'shape' })).map((p) => p.id)).toEqual([photoIds[0]]);
  });

  it('a killed engine fails the ask in flight clearly, restarts, and the next ask works; nothing else is lost', async () => {
    // tiny-smolvlm's random weights never say "end of answer", so 64 tokens take long enough to kill it mid-way.
    await service.api.setSettings({ modelId: 'tiny-smolvlm', ep: 'cpu', threads: 1 });
    const rec = recorder(service);
    const firstPid = service.enginePid();
    let killed = false;
    const off = service.onEvent((e) => {
      if (e.type === 'token' && !killed) {
        killed = true;
        process.kill(firstPid!, 'SIGKILL');
      }
    });
    const { askId } = await service.api.ask({ photoId: photoIds[1], question: 'Will this survive?', ...askArgs, maxNewTokens: 64 });
    const failed = await rec.until(askEnd(askId));
    off();
    expect(failed).toMatchObject({ type: 'error', message: expect.stringMatching(/engine process killed by SIGKILL .*restarted/) });
    const states = () => rec.events.filter((e): e is EngineStatusEvent => e.type === 'engine').map((e) => e.state);
    expect(states().slice(0, 2)).toEqual(['crashed', 'restarting']);

    const { askId: againId } = await service.api.ask({ photoId: photoIds[1], question: 'And now?', ...askArgs });
    expect((await rec.until(askEnd(againId))).type).toBe('done');
    expect(service.enginePid()).not.toBe(firstPid);
    expect(states()).toContain('ready');
    const chat = await service.api.chat({ photoId: photoIds[1] });
    expect(chat.map((c: ChatEntry) => [c.question, c.error === undefined])).toEqual([
      ['Will this survive?', false],
      ['And now?', true],
    ]);
    expect(await service.api.listPhotos({})).toHaveLength(2);
  });

  it('asks under a crop budget: only the top half of the crops are encoded, and the entry records it', async () => {
    const rec = recorder(service);
    // 96 x 64 px: SmolVLM's processor makes 4 x 3 crops and the global view, 64 tokens each.
    const { askId } = await service.api.ask({ photoId: photoIds[0], question: 'Which crops?', ...askArgs, crops: 0.5 });
    const end = await rec.until(askEnd(askId));
    if (end.type !== 'done') throw new Error(end.message);
    expect(end.entry.crops).toBe(0.5);
    expect(end.entry.result!.full.counts.visualTokens).toBe(7 * 64);
    expect(end.entry.result!.grid.tiles).toHaveLength(7);
    const saved = (await service.api.chat({ photoId: photoIds[0] })).find((c: ChatEntry) => c.id === askId);
    expect(saved?.crops).toBe(0.5);
  });

  it('runs a batch with progress rows and can cancel one', async () => {
    const rec = recorder(service);
    const { batchId } = await service.api.batch({
      photoIds,
      question: 'Describe it.',
      method: 'uniform',
      budget: { kind: 'count', count: 8 },
    });
    const finished = await rec.until((e): e is Extract<BatchEvent, { type: 'finished' }> => e.type === 'finished' && e.batchId === batchId);
    expect(finished.cancelled).toBe(false);
    const rows = rec.events.filter((e): e is Extract<BatchEvent, { type: 'progress' }> => e.type === 'progress' && e.batchId === batchId);
    expect(rows.map((r) => [r.done, r.total, r.row.photoId])).toEqual([
      [1, 2, photoIds[0]],
      [2, 2, photoIds[1]],
    ]);
    for (const { row } of rows) {
      expect(typeof row.full).toBe('string');
      expect(typeof row.pruned).toBe('string');
      expect(typeof row.agree).toBe('boolean');
      expect(row.fullMs).toBeGreaterThan(0);
      expect(row.prunedMs).toBeGreaterThan(0);
    }

    const { batchId: cancelId } = await service.api.batch({
      photoIds,
      question: 'Again?',
      method: 'uniform',
      budget: { kind: 'count', count: 8 },
    });
    await service.api.cancelBatch({ batchId: cancelId });
    const cancelled = await rec.until(
      (e): e is Extract<BatchEvent, { type: 'finished' }> => e.type === 'finished' && e.batchId === cancelId,
    );
    expect(cancelled.cancelled).toBe(true);
    expect(rec.events.filter((e) => e.type === 'progress' && e.batchId === cancelId)).toEqual([]);
  });

  it('refuses bad arguments at the boundary with messages that name the field', async () => {
    const photoId = photoIds[0];
    await expect(service.invoke('deleteEverything', {})).rejects.toThrow("Unknown method 'deleteEverything'");
    await expect(service.invoke('ask', { photoId, question: '', method: 'uniform', budget: { kind: 'count', count: 4 } })).rejects.toThrow(
      'ask().question must not be empty',
    );
    await expect(
      service.invoke('ask', { photoId, question: 'q', method: 'uniform', budget: { kind: 'ratio', ratio: 1.5 } }),
    ).rejects.toThrow('ask().budget.ratio must be <= 1, got 1.5');
    await expect(service.invoke('ask', { photoId, question: 'q', method: 'best', budget: { kind: 'count', count: 4 } })).rejects.toThrow(
      /ask\(\)\.method must be one of vtc-cls/,
    );
    await expect(service.invoke('removePhoto', { photoId, force: true })).rejects.toThrow("removePhoto() has an unknown field 'force'");
    await expect(service.invoke('chat', { photoId: 'nope' })).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
    await expect(service.invoke('setSettings', { modelId: 'tiny-smolvlm', ep: 'coreml', threads: 1 })).rejects.toMatchObject({
      code: 'PROVIDER_UNAVAILABLE',
    });
    await expect(service.invoke('setSettings', { modelId: 'smolvlm-256m-instruct', ep: 'cpu', threads: 1 })).rejects.toMatchObject({
      code: 'MODEL_INCOMPLETE',
    });
    await service.api.setSettings({ modelId: 'tiny-smolvlm', ep: 'cpu', threads: 1 });
    await expect(service.invoke('ask', { photoId, question: 'q', method: 'vtc-cls', budget: { kind: 'count', count: 4 } })).rejects.toThrow(
      'tiny-smolvlm cannot use vtc-cls (its vision encoder allows: received, fastv, pool, random, uniform)',
    );
    await expect(service.invoke('importPaths', { paths: ['relative/photo.jpg'] })).resolves.toMatchObject({
      errors: [{ message: 'relative/photo.jpg: give an absolute path' }],
    });
  });

  it('serves thumbnails and upright originals by photo id only', async () => {
    const rotated = path.join(root, 'photos', 'rotated.jpg');
    await writePhoto(rotated, '#2020d0', 6);
    const { added } = await service.api.importPaths({ paths: [rotated] });
    const original = await service.media('photo', added[0].id);
    expect(original.contentType).toBe('image/jpeg');
    const meta = await sharp(original.data).metadata();
    expect([meta.width, meta.height, meta.orientation ?? 1]).toEqual([64, 96, 1]);
    const thumb = await service.media('thumb', added[0].id);
    expect((await sharp(thumb.data).metadata()).format).toBe('jpeg');
    await expect(service.media('photo', '../../etc/passwd')).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
    await service.api.removePhoto({ photoId: added[0].id });
  });

  it("streams import progress under the caller's importId, and stops on cancelImport or when the caller leaves", async () => {
    const album = path.join(root, 'album');
    await fsp.mkdir(album);
    for (let i = 0; i < 8; i++) await writePhoto(path.join(album, `${i}.jpg`), '#808080');
    const { events } = recorder(service);
    const progressOf = (importId: string) =>
      events.filter((e): e is ImportEvent => e.type === 'import-progress' && e.importId === importId);
    const off = service.onEvent((e) => {
      // Cancelled while the third file is read: that one is finished, none after it.
      if (e.type === 'import-progress' && e.importId === 'album-1' && e.done === 2)
        void service.invoke('cancelImport', { importId: 'album-1' });
    });
    const cancelled = (await service.invoke('importPaths', { paths: [album], importId: 'album-1' })) as ImportReport;
    off();
    expect(cancelled).toMatchObject({ cancelled: true, errors: [] });
    expect(cancelled.added.map((p) => p.name)).toEqual(['0.jpg', '1.jpg', '2.jpg']);
    expect(progressOf('album-1').map((e) => [e.done, e.total, path.basename(e.path)])).toEqual([
      [0, 0, 'album'],
      [0, 8, '0.jpg'],
      [1, 8, '1.jpg'],
      [2, 8, '2.jpg'],
    ]);

    // The transport aborts the caller's signal when the page goes away; the next file is never started.
    const gone = new AbortController();
    const offGone = service.onEvent((e) => {
      if (e.type === 'import-progress' && e.importId === 'album-2' && e.done === 4) gone.abort();
    });
    const left = (await service.invoke('importPaths', { paths: [album], importId: 'album-2' }, { signal: gone.signal })) as ImportReport;
    offGone();
    // 0-2 were there already (returned as they are), 3 imported, 4 being read when the caller left.
    expect(left.cancelled).toBe(true);
    expect(left.added.map((p) => p.name)).toEqual(['0.jpg', '1.jpg', '2.jpg', '3.jpg', '4.jpg']);

    const whole = (await service.invoke('importPaths', { paths: [album] })) as ImportReport;
    expect(whole).toMatchObject({ cancelled: false, errors: [] });
    expect(whole.added).toHaveLength(8);
    await expect(service.invoke('cancelImport', { importId: 'no-such-import' })).resolves.toBeUndefined();
    for (const photo of whole.added) await service.api.removePhoto({ photoId: photo.id });
  });

  it("refuses settings with a provider that is listed but cannot start, with onnxruntime's reason", async () => {
    await service.api.setSettings({ modelId: 'tiny-smolvlm', ep: 'cpu', threads: 1 });
    const { providers } = await service.api.machineInfo();
    for (const ep of providers) {
      // The truth, from a real graph opened here: on a machine without a GPU adapter, webgpu is listed and fails.
      const failure = await InferenceSession.create(
        path.join(REPO_ROOT, 'src-main/engine/test/image/testdata/resize-linear-half-pixel.onnx'),
        {
          executionProviders: [ep],
        },
      )
        .then((s) => s.release())
        .then(
          () => undefined,
          (e: Error) => e.message.split('\n')[0],
        );
      const applied = service.invoke('setSettings', { modelId: 'tiny-smolvlm', ep, threads: 1 });
      if (failure === undefined) {
        await expect(applied, ep).resolves.toEqual({ modelId: 'tiny-smolvlm', ep, threads: 1 });
        continue;
      }
      const reason = failure.replace(/^\S+\.(?:cc|cpp|h):\d+ .*? was false\. /, '');
      await expect(applied, ep).rejects.toMatchObject({
        code: 'PROVIDER_UNAVAILABLE',
        message: `the ${ep} execution provider cannot start on this machine: ${reason}`,
      });
      expect(await service.api.getSettings()).toMatchObject({ ep: 'cpu' });
    }
    await service.api.setSettings({ modelId: 'tiny-smolvlm', ep: 'cpu', threads: 1 });
  });

  it('keeps library, chats and settings across a restart', async () => {
    await service.api.setSettings({ modelId: 'tiny-smolvlm', ep: 'cpu', threads: 1 });
    const before = { photos: await service.api.listPhotos({}), chat: await service.api.chat({ photoId: photoIds[0] }) };
    await service.close();
    service = await createAppService({ dataDir, launcher: forkLauncher(engineWorker) });
    expect(await service.api.listPhotos({})).toEqual(before.photos);
    expect(await service.api.chat({ photoId: photoIds[0] })).toEqual(before.chat);
    expect(await service.api.getSettings()).toEqual({ modelId: 'tiny-smolvlm', ep: 'cpu', threads: 1 });
  });
});

describe('first run', () => {
  it('puts the demo album into the library once, and not again after the person removes it', async () => {
    const dataDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'vtc-first-run-'));
    try {
      const first = await createAppService({ dataDir, launcher: forkLauncher(engineWorker), demoAlbum: true });
      const demo = await first.api.listPhotos({});
      expect(demo.map((p) => p.name).sort()).toEqual([
        'Demo scene 1.png',
        'Demo scene 2.png',
        'Demo scene 3.png',
        'Demo scene 4.png',
        'Demo scene 5.png',
        'Demo scene 6.png',
      ]);
      await first.api.removePhoto({ photoId: demo[0].id });
      await first.close();
      const second = await createAppService({ dataDir, launcher: forkLauncher(engineWorker), demoAlbum: true });
      expect(await second.api.listPhotos({})).toHaveLength(5);
      // Restoring puts back only the removed scene; each scene suggests questions it knows the answers to.
      expect((await second.api.restoreDemoAlbum()).map((p) => p.name)).toEqual([demo[0].name]);
      const restored = await second.api.listPhotos({});
      expect(restored).toHaveLength(6);
      for (const p of restored)
        expect(await second.api.suggestedQuestions({ photoId: p.id })).toEqual([
          expect.stringMatching(/\?$/),
          expect.stringMatching(/\?$/),
          expect.stringMatching(/\?$/),
        ]);
      await second.close();
    } finally {
      await fsp.rm(dataDir, { recursive: true, force: true });
    }
  });
});
