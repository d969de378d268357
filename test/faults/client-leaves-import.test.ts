// Fault: the page that started an import of a big folder goes away (closed, reloaded, or it gave up on the
// call). The import used to run on to the last file for no one; it must stop at the file it was reading.
import { promises as fsp } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ImportEvent, ServerEvent } from '../../src-shared/api';
import { startHost, type Host } from '../../src-main/host/server';
import { createAppService, type AppService } from '../../src-main/service/app-service';
import { forkLauncher } from '../../src-main/service/engine-process/engine-launcher';

const engineWorker = path.join(import.meta.dirname, '../../src-main/service/engine-process/engine-worker.ts');
const PHOTOS = 80;

let root: string;
let service: AppService;
let host: Host;

beforeAll(async () => {
  root = await fsp.mkdtemp(path.join(os.tmpdir(), 'vtc-client-leaves-'));
  await fsp.mkdir(path.join(root, 'renderer'));
  await fsp.mkdir(path.join(root, 'album'));
  // Large enough that each one takes a moment to check and thumbnail.
  const jpeg = await sharp({
    create: { width: 1600, height: 1200, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 40 } },
  })
    .jpeg()
    .toBuffer();
  for (let i = 0; i < PHOTOS; i++) await fsp.writeFile(path.join(root, 'album', `photo-${String(i).padStart(3, '0')}.jpg`), jpeg);
  service = await createAppService({ dataDir: path.join(root, 'data'), launcher: forkLauncher(engineWorker) });
  host = await startHost({ service, staticDir: path.join(root, 'renderer'), port: 0 });
});

afterAll(async () => {
  await host?.close();
  await service?.close();
  await fsp.rm(root, { recursive: true, force: true });
});

it('stops the import when the request that started it closes', async () => {
  const progress: ImportEvent[] = [];
  let leave!: () => void;
  const left = new Promise<void>((resolve) => (leave = resolve));
  service.onEvent((e: ServerEvent) => {
    if (e.type !== 'import-progress') return;
    progress.push(e);
    if (e.done === 3) leave();
  });

  const req = http.request({
    host: '127.0.0.1',
    port: host.port,
    path: '/api/importPaths',
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-vtc-token': host.token },
  });
  req.on('error', () => undefined); // the test itself hangs up
  req.end(JSON.stringify({ paths: [path.join(root, 'album')] }));
  await left;
  req.destroy();

  // Wait until the import has been quiet for a while: it finished the file it was on, or ran on.
  let seen = -1;
  while (seen !== progress.length) {
    seen = progress.length;
    await new Promise((r) => setTimeout(r, 1500));
  }
  const last = progress.at(-1)!;
  expect(last.total).toBe(PHOTOS);
  // Three done when the page left, the one being read finished, perhaps one more before the close arrived.
  expect(last.done).toBeLessThanOrEqual(6);
  const photos = (await service.invoke('listPhotos', {})) as unknown[];
  expect(photos.length).toBeLessThanOrEqual(6);
  expect(photos.length).toBeGreaterThanOrEqual(3);
});
