// The renderer's one way to reach the app: `AppApi` plus the event stream and media URLs, over the
// Electron preload bridge when present, otherwise over the browser host's HTTP + Server-Sent Events.
import { APP_API_METHODS, type AppApi, type AppApiMethod, type ServerEvent } from '../../src-shared/api';

export type MediaKind = 'thumb' | 'photo';

/** What the Electron preload exposes as `window.vtc`. `pickPaths` and `pathForFile` are optional extras. */
export interface VtcBridge {
  invoke(method: AppApiMethod, arg: unknown): Promise<unknown>;
  onEvent(listener: (event: ServerEvent) => void): () => void;
  mediaUrl(kind: MediaKind, photoId: string): string;
  /** Native open dialog; resolves with the chosen paths (empty when cancelled). */
  pickPaths?(what: 'files' | 'folder'): Promise<string[]>;
  /** Disk path of a dropped File (Electron's webUtils.getPathForFile). */
  pathForFile?(file: File): string;
}

declare global {
  interface Window {
    vtc?: VtcBridge;
  }
}

export type ConnectionState = 'connected' | 'reconnecting';

export interface Client {
  mode: 'electron' | 'browser';
  api: AppApi;
  onEvent(listener: (event: ServerEvent) => void): () => void;
  onConnection(listener: (state: ConnectionState) => void): () => void;
  mediaUrl(kind: MediaKind, photoId: string): string;
  pickPaths?: (what: 'files' | 'folder') => Promise<string[]>;
  pathForFile?: (file: File) => string;
}

/** An error the app reported, with its code (e.g. NOT_AN_IMAGE) and a message meant for people. */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** AppApi over one transport: each method of the API's table becomes a call of `call` under its own name. */
export function apiOver(call: (method: AppApiMethod, arg: unknown) => Promise<unknown>): AppApi {
  const api: Record<string, (arg?: unknown) => Promise<unknown>> = {};
  for (const method of APP_API_METHODS) {
    api[method] = (arg?: unknown) => call(method, arg ?? {});
  }
  return api as unknown as AppApi;
}

/** Reads the browser host's reply envelope: `{ok:true,value}` or `{ok:false,error:{code,message}}`. */
export function unwrapReply(status: number, body: unknown): unknown {
  if (isRecord(body) && body.ok === true) return body.value;
  if (isRecord(body) && body.ok === false && isRecord(body.error) && typeof body.error.message === 'string') {
    throw new ApiError(String(body.error.code ?? 'ERROR'), body.error.message);
  }
  if (status === 401 || status === 403) {
    throw new ApiError('UNAUTHORIZED', 'This page is not authorised to reach the assistant. Open it from the link the host printed.');
  }
  throw new ApiError('BAD_REPLY', `The assistant host sent an unexpected reply (HTTP ${status}).`);
}

/** Electron wraps errors thrown in main as "Error invoking remote method 'x': Error: message"; keep the message. */
export function bridgeError(e: unknown): ApiError {
  const raw = e instanceof Error ? e.message : String(e);
  const message = raw.replace(/^Error invoking remote method '[^']*': (\w*Error: )?/, '');
  return new ApiError(isRecord(e) && typeof e.code === 'string' ? e.code : 'ERROR', message);
}

/** The preload may resolve with the same envelope the HTTP host sends (which keeps error codes); no AppApi value has an `ok` field. */
export function unwrapBridgeReply(reply: unknown): unknown {
  return isRecord(reply) && typeof reply.ok === 'boolean' ? unwrapReply(200, reply) : reply;
}

/** The access token: from the page URL the host printed, kept in sessionStorage so reloads keep working. */
export function pageToken(search: string, storage: Pick<Storage, 'getItem' | 'setItem'>): string {
  const fromUrl = new URLSearchParams(search).get('token');
  if (fromUrl) {
    storage.setItem('vtc-token', fromUrl);
    return fromUrl;
  }
  return storage.getItem('vtc-token') ?? '';
}

export function createClient(): Client {
  const bridge = window.vtc;
  return bridge ? electronClient(bridge) : browserClient(pageToken(location.search, sessionStorage));
}

function electronClient(bridge: VtcBridge): Client {
  return {
    mode: 'electron',
    api: apiOver(async (method, arg) => {
      let reply: unknown;
      try {
        reply = await bridge.invoke(method, arg);
      } catch (e) {
        throw bridgeError(e);
      }
      return unwrapBridgeReply(reply);
    }),
    onEvent: (listener) => bridge.onEvent(listener),
    // IPC has no connection to lose; engine restarts arrive as EngineStatusEvent.
    onConnection: () => () => {},
    mediaUrl: (kind, photoId) => bridge.mediaUrl(kind, photoId),
    pickPaths: bridge.pickPaths?.bind(bridge),
    pathForFile: bridge.pathForFile?.bind(bridge),
  };
}

function browserClient(token: string): Client {
  const eventListeners = new Set<(event: ServerEvent) => void>();
  const connectionListeners = new Set<(state: ConnectionState) => void>();
  let source: EventSource | undefined;

  // One EventSource for the page; it reconnects by itself when the host restarts.
  function ensureEvents(): void {
    if (source) return;
    source = new EventSource(`/api/events?token=${encodeURIComponent(token)}`);
    source.onmessage = (message) => {
      const event = JSON.parse(message.data) as ServerEvent;
      for (const listener of eventListeners) listener(event);
    };
    source.onopen = () => connectionListeners.forEach((l) => l('connected'));
    source.onerror = () => connectionListeners.forEach((l) => l('reconnecting'));
  }

  return {
    mode: 'browser',
    api: apiOver(async (method, arg) => {
      let response: Response;
      try {
        response = await fetch(`/api/${method}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-vtc-token': token },
          body: JSON.stringify(arg),
        });
      } catch {
        throw new ApiError('OFFLINE', 'Cannot reach the assistant host. Is it still running?');
      }
      const body: unknown = await response.json().catch(() => undefined);
      return unwrapReply(response.status, body);
    }),
    onEvent(listener) {
      ensureEvents();
      eventListeners.add(listener);
      return () => eventListeners.delete(listener);
    },
    onConnection(listener) {
      ensureEvents();
      connectionListeners.add(listener);
      return () => connectionListeners.delete(listener);
    },
    mediaUrl: (kind, photoId) => `/media/${kind}/${encodeURIComponent(photoId)}?token=${encodeURIComponent(token)}`,
  };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}
