import { promises as fsp } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerEvent } from '../../src-shared/api';
import { createAppService, type AppService } from '../service/app-service';
import { forkLauncher } from '../service/engine-process/engine-launcher';
import { startHost, type Host } from './server';

const engineWorker = path.join(import.meta.dirname, '..', 'service', 'engine-process', 'engine-worker.ts');

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** A raw request, so the test controls every header (fetch would not let it set Host). */
function request(
  port: number,
  route: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: route, method: options.method ?? 'GET', headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Reads Server-Sent Events until `stop` says it has seen enough. */
function readEvents(
  port: number,
  token: string,
  stop: (events: ServerEvent[]) => boolean,
): { events: Promise<ServerEvent[]>; opened: Promise<void> } {
  let opened!: () => void;
  const openedPromise = new Promise<void>((r) => (opened = r));
  const events = new Promise<ServerEvent[]>((resolve, reject) => {
    const seen: ServerEvent[] = [];
    const req = http.get({ host: '127.0.0.1', port, path: `/api/events?token=${token}` }, (res) => {
      expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
      opened();
      let buffer = '';
      res.on('data', (chunk) => {
        buffer += chunk.toString();
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = block.split('\n').find((l) => l.startsWith('data: '));
          if (data) seen.push(JSON.parse(data.slice(6)));
        }
        if (stop(seen)) {
          req.destroy();
          resolve(seen);
        }
      });
    });
    req.on('error', reject);
  });
  return { events, opened: openedPromise };
}

describe('browser host', () => {
  let root: string;
  let service: AppService;
  let host: Host;
  const call = (method: string, arg: unknown, token = host.token) =>
    request(host.port, `/api/${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-vtc-token': token },
      body: JSON.stringify(arg),
    });
  const json = (r: Reply) => JSON.parse(r.body.toString());
  const uploadPhoto = async (name: string) => {
    const jpeg = await sharp({ create: { width: 48, height: 32, channels: 3, background: '#336699' } })
      .jpeg()
      .toBuffer();
    return call('importUpload', { name, base64: jpeg.toString('base64') });
  };

  beforeAll(async () => {
    root = await fsp.mkdtemp(path.join(os.tmpdir(), 'vtc-host-'));
    const staticDir = path.join(root, 'renderer');
    await fsp.mkdir(path.join(staticDir, 'assets'), { recursive: true });
    await fsp.writeFile(path.join(staticDir, 'index.html'), '<!doctype html><title>test page</title>');
    await fsp.writeFile(path.join(staticDir, 'assets', 'app.js'), 'console.log(1)');
    await fsp.writeFile(path.join(root, 'secret.txt'), 'outside the renderer folder');
    service = await createAppService({ dataDir: path.join(root, 'data'), launcher: forkLauncher(engineWorker) });
    host = await startHost({ service, staticDir, port: 0 });
  });
  afterAll(async () => {
    await host.close();
    await service.close();
    await fsp.rm(root, { recursive: true, force: true });
  });

  it('listens on a free loopback port with a random 32-byte token in the printed address', () => {
    expect(host.port).toBeGreaterThan(0);
    expect(host.url).toBe(`http://127.0.0.1:${host.port}/?token=${host.token}`);
    expect(host.token).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses every API, event, media and page request without the right token', async () => {
    expect((await call('listPhotos', {}, '')).status).toBe(403);
    expect(json(await call('listPhotos', {}, 'f'.repeat(64)))).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } });
    expect((await request(host.port, '/api/events')).status).toBe(403);
    expect((await request(host.port, '/media/thumb/anything')).status).toBe(403);
    expect((await request(host.port, '/')).status).toBe(403);
  });

  it('refuses a request addressed to another host name (DNS rebinding)', async () => {
    const r = await request(host.port, '/api/listPhotos', {
      method: 'POST',
      headers: { host: 'evil.example', 'content-type': 'application/json', 'x-vtc-token': host.token },
      body: '{}',
    });
    expect(r.status).toBe(403);
  });

  it('refuses requests sent by another page (Origin), and takes those from its own page or without an Origin', async () => {
    const fromOrigin = (origin: string) =>
      request(host.port, '/api/listPhotos', {
        method: 'POST',
        headers: { origin, 'content-type': 'application/json', 'x-vtc-token': host.token },
        body: '{}',
      });
    for (const foreign of ['http://evil.example', 'null', `http://127.0.0.1:${host.port + 1}`, `https://127.0.0.1:${host.port}`]) {
      const r = await fromOrigin(foreign);
      expect(r.status, foreign).toBe(403);
      expect(json(r).error).toEqual({
        code: 'FORBIDDEN',
        message: `Requests from other pages are refused (Origin: ${foreign}); open the address the host printed.`,
      });
    }
    expect((await request(host.port, `/api/events?token=${host.token}`, { headers: { origin: 'http://evil.example' } })).status).toBe(403);
    expect((await fromOrigin(`http://127.0.0.1:${host.port}`)).status).toBe(200);
    expect((await fromOrigin(`http://localhost:${host.port}`)).status).toBe(200);
    expect((await call('listPhotos', {})).status).toBe(200);
  });

  it('answers a malformed percent-escape anywhere in the address with 400 and a clear message, not 500', async () => {
    const routes = ['/api/%E0%A4%A', `/media/photo/%ZZ?token=${host.token}`, '/assets/%ZZ.js'];
    for (const route of routes) {
      const r = route.startsWith('/api/')
        ? await request(host.port, route, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-vtc-token': host.token },
            body: '{}',
          })
        : await request(host.port, route);
      expect(r.status, route).toBe(400);
      expect(json(r).error.code).toBe('BAD_ARGUMENT');
      expect(json(r).error.message).toBe(
        `The address has a malformed percent-escape (${route.split('?')[0]}): each % must start a UTF-8 escape such as %20.`,
      );
    }
  });

  it('round-trips API calls and reports errors as {ok:false,error:{code,message}}', async () => {
    const upload = await uploadPhoto('sky.jpg');
    expect(upload.status).toBe(200);
    const photo = json(upload).value;
    expect(photo).toMatchObject({ name: 'sky.jpg', width: 48, height: 32 });
    expect(json(await call('listPhotos', { query: 'sky' }))).toEqual({ ok: true, value: [photo] });

    const bad = await call('ask', { photoId: photo.id, question: 'q', method: 'uniform', budget: { kind: 'count', count: 0 } });
    expect(bad.status).toBe(400);
    expect(json(bad)).toEqual({ ok: false, error: { code: 'BAD_ARGUMENT', message: 'ask().budget.count must be >= 1, got 0' } });
    expect(json(await call('format', {})).error.message).toBe("Unknown method 'format'");
    const notImage = json(await call('importUpload', { name: 'x.jpg', base64: Buffer.from('plain text').toString('base64') }));
    expect(notImage.error.code).toBe('NOT_AN_IMAGE');
    const notJson = await request(host.port, '/api/listPhotos', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-vtc-token': host.token },
      body: '{',
    });
    expect(json(notJson).error.message).toBe('The request body is not valid JSON');
  });

  it('streams an ask over Server-Sent Events', async () => {
    const photo = json(await uploadPhoto('stream.jpg')).value;
    let askId = '';
    const stream = readEvents(host.port, host.token, (events) =>
      events.some((e) => (e.type === 'done' || e.type === 'error') && e.askId === askId),
    );
    await stream.opened;
    const question = 'how many shapes are there?';
    askId = json(
      await call('ask', { photoId: photo.id, question, method: 'uniform', budget: { kind: 'ratio', ratio: 0.5 }, maxNewTokens: 3 }),
    ).value.askId;
    const events = await stream.events;
    expect(events[0]).toMatchObject({ type: 'engine' });
    const mine = events.filter((e) => 'askId' in e && e.askId === askId);
    const done = mine.at(-1);
    expect(done).toMatchObject({ type: 'done', entry: { question } });
    // Each side's streamed pieces add up to its final answer (a model may answer nothing but eos, so the
    // pieces are compared with the answer rather than merely required to exist).
    const streamed = (side: 'full' | 'pruned') => mine.map((e) => (e.type === 'token' && e.side === side ? e.text : '')).join('');
    const result = (done as Extract<ServerEvent, { type: 'done' }>).entry.result!;
    expect(streamed('full')).toBe(result.full.text);
    expect(streamed('pruned')).toBe(result.pruned.text);
    expect(result.full.text.length + result.pruned.text.length).toBeGreaterThan(0);
  });

  it('serves media by photo id and the renderer with a strict CSP, nothing outside it', async () => {
    const photo = json(await uploadPhoto('media.jpg')).value;
    const thumb = await request(host.port, `/media/thumb/${photo.id}?token=${host.token}`);
    expect(thumb.status).toBe(200);
    expect(thumb.headers['content-type']).toBe('image/jpeg');
    expect((await request(host.port, `/media/photo/unknown?token=${host.token}`)).status).toBe(404);

    const page = await request(host.port, `/?token=${host.token}`);
    expect(page.body.toString()).toContain('test page');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
    expect((await request(host.port, '/assets/app.js')).status).toBe(200);
    expect((await request(host.port, '/%2e%2e%2fsecret.txt')).status).toBe(404);
  });
});
