// A local stand-in for huggingface.co in tests: serves `<root>/<owner>/<name>/<path>` at
// `/<owner>/<name>/resolve/<revision>/<path>`, honours `Range: bytes=N-`, and can misbehave on demand
// (drop or stall a transfer part-way, stall before the headers, ignore Range, redirect to a "CDN" path) so every
// recovery path can be driven.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

export interface SeenRequest {
  method: string;
  /** The repository-relative file path, e.g. `onnx/model.onnx`. */
  file: string;
  range?: string;
  acceptEncoding?: string;
  redirected: boolean;
}

export interface HfFixtureServer {
  base: string;
  requests: SeenRequest[];
  /** file -> bytes: the next answer for that file sends this many body bytes, then cuts the connection. */
  dropAfter: Map<string, number>;
  /** file -> bytes: the next answer for that file sends this many body bytes, then stalls until the client leaves. */
  stallAfter: Map<string, number>;
  /** Files whose next request gets no answer at all, not even headers, until the client leaves. */
  stallBeforeHeaders: Set<string>;
  /** file -> HTTP status: the next request for that file gets this error status instead. */
  failWith: Map<string, number>;
  ignoreRange: boolean;
  /** Answer `/resolve/` with a 302 to `/cdn/...`, as huggingface.co does for large files. */
  redirect: boolean;
  /** State each file's size and sha256 in X-Linked-Size and X-Linked-Etag on `/resolve/`, as huggingface.co does for LFS files. */
  statesFiles: boolean;
  /** file -> what X-Linked-Size / X-Linked-Etag say instead of the truth. */
  statedSize: Map<string, number>;
  statedSha256: Map<string, string>;
  close(): Promise<void>;
}

const RESOLVE = /^\/([^/]+\/[^/]+)\/(resolve|cdn)\/[^/]+\/(.+)$/;

function sendPart(res: ServerResponse, body: Buffer, cutAt: number | undefined, stall: boolean): void {
  if (cutAt === undefined) {
    res.end(body);
    return;
  }
  // The cut waits a moment so the client has read what was sent: a real dropped link loses no delivered bytes.
  res.write(body.subarray(0, cutAt), () => {
    if (!stall) setTimeout(() => res.socket?.destroy(), 50);
  });
}

export async function startHfFixtureServer(root: string): Promise<HfFixtureServer> {
  const state = {
    requests: [] as SeenRequest[],
    dropAfter: new Map<string, number>(),
    stallAfter: new Map<string, number>(),
    stallBeforeHeaders: new Set<string>(),
    failWith: new Map<string, number>(),
    ignoreRange: false,
    redirect: false,
    statesFiles: false,
    statedSize: new Map<string, number>(),
    statedSha256: new Map<string, string>(),
  };
  async function statedHeaders(path: string, file: string): Promise<Record<string, string>> {
    const data = await readFile(path).catch(() => undefined);
    if (!data) return {};
    const sha256 = state.statedSha256.get(file) ?? createHash('sha256').update(data).digest('hex');
    return { 'x-linked-size': String(state.statedSize.get(file) ?? data.length), 'x-linked-etag': `"${sha256}"`, etag: `"${sha256}"` };
  }
  const server = createServer((req, res) => {
    void (async () => {
      const m = RESOLVE.exec(decodeURI(req.url ?? ''));
      if (!m) return void res.writeHead(400).end('bad path');
      const [, repo, kind, file] = m;
      const redirected = kind === 'cdn';
      state.requests.push({
        method: req.method ?? 'GET',
        file,
        range: req.headers.range,
        acceptEncoding: req.headers['accept-encoding'],
        redirected,
      });
      const stated = !redirected && state.statesFiles ? await statedHeaders(join(root, repo, file), file) : {};
      if (state.redirect && !redirected) {
        return void res.writeHead(302, { location: req.url!.replace('/resolve/', '/cdn/'), ...stated }).end();
      }
      if (state.stallBeforeHeaders.delete(file)) return;
      const status = state.failWith.get(file);
      if (status !== undefined) {
        state.failWith.delete(file);
        return void res.writeHead(status).end('error page');
      }
      let data: Buffer;
      try {
        data = await readFile(join(root, repo, file));
      } catch {
        return void res.writeHead(404).end('Entry not found');
      }
      // A plain file server's HEAD: the size, and what the server states when it states anything.
      if (req.method === 'HEAD') return void res.writeHead(200, { 'content-length': data.length, ...stated }).end();
      let start = 0;
      const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
      if (range && !state.ignoreRange) {
        start = Number(range[1]);
        if (start >= data.length) return void res.writeHead(416, { 'content-range': `bytes */${data.length}` }).end();
        res.writeHead(206, {
          'content-length': data.length - start,
          'content-range': `bytes ${start}-${data.length - 1}/${data.length}`,
        });
      } else {
        res.writeHead(200, { 'content-length': data.length, 'accept-ranges': 'bytes' });
      }
      const drop = state.dropAfter.get(file);
      const stall = state.stallAfter.get(file);
      state.dropAfter.delete(file);
      state.stallAfter.delete(file);
      sendPart(res, data.subarray(start), drop ?? stall, stall !== undefined);
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    base: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
