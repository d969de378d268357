// Fault: someone imports named pipes (FIFOs) through the browser host. Opening a pipe to read blocks until a
// writer comes, and sharp opens files on libuv's four worker threads: four pipes once took all of them, and
// every file operation of the host hung, the renderer's static files included. Each pipe must be refused,
// unopened, with its own line in the import report, and the host must go on serving.
import { execFileSync } from 'node:child_process';
import { closeSync, constants, openSync, promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startHost, type Host } from '../../src-main/host/server';
import { createAppService, type AppService } from '../../src-main/service/app-service';
import { forkLauncher } from '../../src-main/service/engine-process/engine-launcher';

const engineWorker = path.join(import.meta.dirname, '../../src-main/service/engine-process/engine-worker.ts');

let root: string;
let service: AppService;
let host: Host;
const pipes: string[] = [];

beforeAll(async () => {
  root = await fsp.mkdtemp(path.join(os.tmpdir(), 'vtc-named-pipes-'));
  const staticDir = path.join(root, 'renderer');
  await fsp.mkdir(path.join(staticDir, 'assets'), { recursive: true });
  await fsp.writeFile(path.join(staticDir, 'index.html'), '<!doctype html><title>page</title>');
  await fsp.writeFile(path.join(staticDir, 'assets', 'app.js'), 'console.log("still served")');
  for (let i = 1; i <= 6; i++) {
    pipes.push(path.join(root, `pipe-${i}.jpg`));
    execFileSync('mkfifo', [pipes.at(-1)!]);
  }
  await fsp.writeFile(
    path.join(root, 'real.jpg'),
    await sharp({ create: { width: 40, height: 30, channels: 3, background: '#208040' } })
      .jpeg()
      .toBuffer(),
  );
  service = await createAppService({ dataDir: path.join(root, 'data'), launcher: forkLauncher(engineWorker) });
  host = await startHost({ service, staticDir, port: 0 });
});

afterAll(async () => {
  // Had anything opened a pipe to read, a writer that comes and goes lets it see the end and its thread go.
  for (const pipe of pipes) {
    try {
      closeSync(openSync(pipe, constants.O_WRONLY | constants.O_NONBLOCK));
    } catch {
      // ENXIO: no reader, as it should be.
    }
  }
  await host?.close();
  await service?.close();
  await fsp.rm(root, { recursive: true, force: true });
});

const within = <T>(ms: number, promise: Promise<T>) =>
  Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms))]);

it('refuses each pipe unopened, imports the real photo, and the host keeps serving files', async () => {
  const reply = await within(
    15_000,
    fetch(`http://127.0.0.1:${host.port}/api/importPaths`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-vtc-token': host.token },
      body: JSON.stringify({ paths: [...pipes, path.join(root, 'real.jpg')] }),
    }).then((r) => r.json()),
  );
  expect(reply.ok).toBe(true);
  expect(reply.value.added.map((p: { name: string }) => p.name)).toEqual(['real.jpg']);
  expect(reply.value.errors).toEqual(
    pipes.map((p) => ({ path: p, message: `${p} is a named pipe, not a photo or a folder; it was not opened` })),
  );

  // The file threads are free: a static file and a thumbnail (a file read and a sharp run) still come.
  const script = await within(5_000, fetch(`http://127.0.0.1:${host.port}/assets/app.js`));
  expect(await script.text()).toContain('still served');
  const thumb = await within(10_000, fetch(`http://127.0.0.1:${host.port}/media/thumb/${reply.value.added[0].id}?token=${host.token}`));
  expect(thumb.headers.get('content-type')).toBe('image/jpeg');
});
