// Engine state, connection to the host, the library's read-only mode, and short notices for the person
// (errors they can act on, and what happened to the library's files).
import type { EngineStatusEvent, LibraryHealth } from '../../src-shared/api';
import type { ConnectionState } from '../lib/client';

export interface Notice {
  id: number;
  /** Errors and warnings stay until dismissed; info fades. */
  kind: 'error' | 'warning' | 'info';
  text: string;
}

export const status = $state({
  engine: { state: 'ready', message: undefined } as Omit<EngineStatusEvent, 'type'>,
  connection: 'connected' as ConnectionState,
  /** The disk is full: the library shows everything but saves nothing until space is freed. */
  readOnly: false,
  notices: [] as Notice[],
});

// The library's notices are asked for again after a reconnect; one already shown on this page is not repeated.
// A plain list: it only remembers, nothing renders from it.
const shownLibraryNotices: string[] = [];

export function applyLibraryHealth(health: LibraryHealth): void {
  status.readOnly = health.readOnly;
  for (const text of health.notices) {
    if (shownLibraryNotices.includes(text)) continue;
    shownLibraryNotices.push(text);
    notify('warning', text);
  }
}

let nextNoticeId = 1;

export function notify(kind: Notice['kind'], text: string): void {
  const id = nextNoticeId++;
  status.notices = [...status.notices, { id, kind, text }];
  // Info fades on its own; errors stay until dismissed so they can be read.
  if (kind === 'info') setTimeout(() => dismiss(id), 5000);
}

export function dismiss(id: number): void {
  status.notices = status.notices.filter((n) => n.id !== id);
}

/** The message of anything thrown by the client, for a notice. */
export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
