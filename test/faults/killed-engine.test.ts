// Fault: the engine process is killed (SIGKILL) while it answers one of several queued questions. Only
// that question may fail, with a message that says what happened; the questions waiting behind it are
// answered by the restarted engine, streamed to the same askIds, and stored in the chat.
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { AskEvent, ServerEvent } from '../../src-shared/api';
import { createAppService, type AppService } from '../../src-main/service/app-service';
import { forkLauncher } from '../../src-main/service/engine-process/engine-launcher';

const engineWorker = path.join(import.meta.dirname, '../../src-main/service/engine-process/engine-worker.ts');

let root: string;
let service: AppService;
let photoId: string;

beforeAll(async () => {
  root = await fsp.mkdtemp(path.join(os.tmpdir(), 'vtc-killed-engine-'));
  const photo = path.join(root, 'blue.jpg');
  await fsp.writeFile(
    photo,
    await sharp({ create: { width: 96, height: 64, channels: 3, background: '#2040c0' } })
      .jpeg()
      .toBuffer(),
  );
  service = await createAppService({ dataDir: path.join(root, 'data'), launcher: forkLauncher(engineWorker), restartDelayMs: 100 });
  photoId = (await service.api.importPaths({ paths: [photo] })).added[0].id;
  // tiny-smolvlm's random weights never say "end of answer", so 64 tokens run long enough to be killed mid-way.
  await service.api.setSettings({ modelId: 'tiny-smolvlm', ep: 'cpu', threads: 1 });
});

afterAll(async () => {
  await service.close();
  await fsp.rm(root, { recursive: true, force: true });
});

it('a killed engine fails only the question it was answering; the two queued behind it are answered after the restart', async () => {
  const events: ServerEvent[] = [];
  const waiters: Array<() => void> = [];
  const firstPid = service.enginePid();
  const askIds: string[] = [];
  let killed = false;
  service.onEvent((e) => {
    events.push(e);
    // Kill while the first question streams, once the other two are queued behind it.
    if (e.type === 'token' && e.askId === askIds[0] && askIds.length === 3 && !killed) {
      killed = true;
      process.kill(firstPid!, 'SIGKILL');
    }
    waiters.splice(0).forEach((w) => w());
  });
  const ended = async (askId: string) => {
    for (;;) {
      const end = events.find(
        (e): e is Extract<AskEvent, { type: 'done' | 'error' }> => (e.type === 'done' || e.type === 'error') && e.askId === askId,
      );
      if (end) return end;
      await new Promise<void>((r) => waiters.push(r));
    }
  };
  const ask = (question: string, maxNewTokens: number) =>
    service.api.ask({ photoId, question, method: 'uniform', budget: { kind: 'ratio', ratio: 0.5 }, maxNewTokens });

  askIds.push((await ask('Is this the one that crashes?', 64)).askId);
  askIds.push((await ask('What colour is it?', 6)).askId);
  askIds.push((await ask('And its shape?', 6)).askId);
  const [firstAskId, secondAskId, thirdAskId] = askIds;

  const first = await ended(firstAskId);
  expect(killed).toBe(true);
  expect(first).toMatchObject({
    type: 'error',
    message: 'The engine process killed by SIGKILL while working; it is being restarted. Ask again.',
  });
  const second = await ended(secondAskId);
  const third = await ended(thirdAskId);
  expect([second.type, third.type]).toEqual(['done', 'done']);
  expect(service.enginePid()).not.toBe(firstPid);

  // Their tokens streamed to their own askIds from the restarted engine.
  for (const end of [second, third] as Array<Extract<AskEvent, { type: 'done' }>>) {
    const tokens = events.filter(
      (e): e is Extract<AskEvent, { type: 'token' }> => e.type === 'token' && e.askId === end.askId && e.side === 'full',
    );
    expect(tokens.map((t) => t.text).join('')).toBe(end.entry.result!.full.text);
  }
  const states = events.filter((e) => e.type === 'engine').map((e) => (e as { state: string }).state);
  expect(states).toEqual(['crashed', 'restarting', 'starting', 'ready']);

  // The chat keeps all three: the first with its error, the other two with their answers.
  const chat = await service.api.chat({ photoId });
  expect(chat.map((c) => [c.question, c.error ?? 'answered'])).toEqual([
    ['Is this the one that crashes?', 'The engine process killed by SIGKILL while working; it is being restarted. Ask again.'],
    ['What colour is it?', 'answered'],
    ['And its shape?', 'answered'],
  ]);
  expect(chat[1].result!.full.text.length).toBeGreaterThan(0);
  expect(chat[2].result!.pruned.text.length).toBeGreaterThan(0);
});
