// Engine state, connection to the host, and short notices for the person (errors they can act on).
import type { EngineStatusEvent } from '../../src-shared/api';
import type { ConnectionState } from '../lib/client';

export interface Notice {
  id: number;
  kind: 'error' | 'info';
  text: string;
}

export const status = $state({
  engine: { state: 'ready', message: undefined } as Omit<EngineStatusEvent, 'type'>,
  connection: 'connected' as ConnectionState,
  notices: [] as Notice[],
});

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
