// The browser host: the same AppApi the Electron app offers, over HTTP on the loopback interface.
// POST /api/<method> (JSON in, `{ok,value}` / `{ok:false,error}` out), GET /api/events (Server-Sent Events),
// GET /media/{thumb,photo}/<photoId>, and the built renderer. Every API and media request carries the
// session token; the Host header must name this server, so a foreign page cannot reach it by DNS rebinding;
// and a request that says which page sent it (Origin) must come from this server's own page, so a page
// elsewhere that learnt the token still cannot drive the API.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { ServerEvent } from '../../src-shared/api';
import { isEngineError } from '../engine/errors';
import type { AppService } from '../service/app-service';
import { contentSecurityPolicy } from '../service/content-security-policy';
import { rendererContentType } from '../service/renderer-content-types';
import { toWireError } from '../service/wire-error';

export interface HostOptions {
  service: AppService;
  /** The built renderer (index.html + assets). */
  staticDir: string;
  /** 0 picks a free port. */
  port?: number;
  token?: string;
}

export interface Host {
  port: number;
  token: string;
  /** The address to open, token included. */
  url: string;
  close(): Promise<void>;
}

/** JSON bodies carry uploads as base64; more than this is refused before it is buffered. */
export const MAX_BODY_BYTES = 150 * 1024 * 1024;
const HEARTBEAT_MS = 15_000;

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  // The token is in the page URL: never send it on in a Referer.
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export async function startHost(options: HostOptions): Promise<Host> {
  const { service, staticDir } = options;
  const token = options.token ?? randomBytes(32).toString('hex');
  const tokenBytes = Buffer.from(token);
  const streams = new Set<http.ServerResponse>();
  let port = 0;

  const hasToken = (candidate: string | null | undefined) => {
    const given = Buffer.from(candidate ?? '');
    return given.length === tokenBytes.length && timingSafeEqual(given, tokenBytes);
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((e) => sendError(res, e));
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://placeholder');
    if (req.headers.host !== `127.0.0.1:${port}` && req.headers.host !== `localhost:${port}`) {
      throw new HttpError(403, 'FORBIDDEN', 'This server only answers requests addressed to 127.0.0.1 or localhost');
    }
    // Browsers send Origin on every POST and on cross-origin reads, not on same-origin GETs (the page, its
    // scripts, EventSource, <img>), so an absent Origin is not refused; the token still guards those.
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== `http://127.0.0.1:${port}` && origin !== `http://localhost:${port}`) {
      throw new HttpError(
        403,
        'FORBIDDEN',
        `Requests from other pages are refused (Origin: ${origin.slice(0, 100)}); open the address the host printed.`,
      );
    }
    const route = url.pathname;
    // Checked once here so that every decodeURIComponent below (method name, photo id, file path) is safe.
    if (!hasValidPercentEncoding(route)) {
      throw new HttpError(
        400,
        'BAD_ARGUMENT',
        `The address has a malformed percent-escape (${route.slice(0, 100)}): each % must start a UTF-8 escape such as %20.`,
      );
    }
    if (route.startsWith('/api/')) {
      if (route === '/api/events' && req.method === 'GET') {
        requireToken(url.searchParams.get('token'));
        return openEventStream(req, res);
      }
      if (req.method !== 'POST') throw new HttpError(405, 'METHOD_NOT_ALLOWED', 'API calls are POST requests');
      requireToken(req.headers['x-vtc-token'] as string | undefined);
      if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) {
        throw new HttpError(415, 'BAD_ARGUMENT', 'API calls send a JSON body (content-type: application/json)');
      }
      const arg = parseJson(await readBody(req));
      // The connection closing before the answer is sent means the page went away (closed, reloaded, or
      // aborted the call): a long call it started, such as an import, stops rather than run on for no one.
      const callerGone = new AbortController();
      res.on('close', () => {
        if (!res.writableFinished) callerGone.abort();
      });
      const value = await service.invoke(decodeURIComponent(route.slice('/api/'.length)), arg, { signal: callerGone.signal });
      return sendJson(res, 200, { ok: true, value });
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${req.method} is not served here`);
    const media = /^\/media\/(thumb|photo)\/([^/]+)$/.exec(route);
    if (media) {
      requireToken(url.searchParams.get('token'));
      const rendition = await service.media(media[1] as 'thumb' | 'photo', decodeURIComponent(media[2]));
      res.writeHead(200, {
        ...SECURITY_HEADERS,
        'content-type': rendition.contentType,
        'content-length': rendition.data.length,
        'cache-control': 'private, no-cache',
      });
      res.end(req.method === 'HEAD' ? undefined : rendition.data);
      return;
    }
    return serveStatic(req, res, route, url);
  }

  function requireToken(candidate: string | null | undefined): void {
    if (!hasToken(candidate)) {
      throw new HttpError(403, 'UNAUTHORIZED', 'Missing or wrong session token. Open the address the host printed when it started.');
    }
  }

  function openEventStream(req: http.IncomingMessage, res: http.ServerResponse): void {
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    });
    res.write('retry: 2000\n\n');
    const send = (event: ServerEvent) => res.write(`data: ${JSON.stringify(event)}\n\n`);
    const status = service.engineStatus();
    if (status) send(status);
    const unsubscribe = service.onEvent(send);
    const heartbeat = setInterval(() => res.write(': ping\n\n'), HEARTBEAT_MS);
    streams.add(res);
    req.on('close', () => {
      clearInterval(heartbeat);
      unsubscribe();
      streams.delete(res);
    });
  }

  async function serveStatic(req: http.IncomingMessage, res: http.ServerResponse, route: string, url: URL): Promise<void> {
    const isPage = route === '/' || route === '/index.html';
    // The page is the door to the API, so it wants the token too; its scripts and styles carry no data.
    if (isPage) requireToken(url.searchParams.get('token'));
    const relative = isPage ? 'index.html' : decodeURIComponent(route).replace(/^\/+/, '');
    const file = path.resolve(staticDir, relative);
    if (!file.startsWith(path.resolve(staticDir) + path.sep)) throw new HttpError(404, 'NOT_FOUND', 'Not found');
    let data: Buffer;
    try {
      data = await fsp.readFile(file);
    } catch {
      throw new HttpError(
        404,
        'NOT_FOUND',
        isPage ? `The renderer is not built (no ${file}). Run the host with \`npm run serve\`, which builds it.` : 'Not found',
      );
    }
    const type = rendererContentType(file);
    const headers: http.OutgoingHttpHeaders = {
      ...SECURITY_HEADERS,
      'content-type': type,
      'content-length': data.length,
      'cache-control': 'no-cache',
    };
    if (type.startsWith('text/html')) headers['content-security-policy'] = contentSecurityPolicy();
    res.writeHead(200, headers);
    res.end(req.method === 'HEAD' ? undefined : data);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;

  return {
    port,
    token,
    url: `http://127.0.0.1:${port}/?token=${token}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of streams) res.end();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES)
    throw new HttpError(413, 'BAD_ARGUMENT', `The request is too large (${declared} bytes; at most ${MAX_BODY_BYTES})`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, 'BAD_ARGUMENT', `The request is too large (more than ${MAX_BODY_BYTES} bytes)`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function hasValidPercentEncoding(text: string): boolean {
  try {
    decodeURIComponent(text);
    return true;
  } catch {
    return false;
  }
}

function parseJson(body: string): unknown {
  if (body.trim() === '') return undefined;
  try {
    return JSON.parse(body);
  } catch {
    throw new HttpError(400, 'BAD_ARGUMENT', 'The request body is not valid JSON');
  }
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const data = Buffer.from(JSON.stringify(body));
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'content-type': 'application/json; charset=utf-8',
    'content-length': data.length,
    'cache-control': 'no-store',
  });
  res.end(data);
}

function sendError(res: http.ServerResponse, e: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (e instanceof HttpError) return sendJson(res, e.status, { ok: false, error: { code: e.code, message: e.message } });
  const error = toWireError(e);
  const status = !isEngineError(e) ? 500 : e.code === 'BAD_ARGUMENT' ? 400 : e.code === 'FILE_NOT_FOUND' ? 404 : 422;
  sendJson(res, status, { ok: false, error });
}
