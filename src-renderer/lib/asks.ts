// Streaming answers: token events arrive per askId, possibly before `ask()` has even resolved, so
// pending asks are keyed by askId and learn their photo and question when the call returns.
import type { AskEvent, ChatEntry } from '../../src-shared/api';

export interface PendingAsk {
  askId: string;
  photoId?: string;
  question?: string;
  full: string;
  pruned: string;
  error?: string;
}

export type PendingAsks = Record<string, PendingAsk>;

function blank(askId: string): PendingAsk {
  return { askId, full: '', pruned: '' };
}

/** Records what `ask()` returned. */
export function startAsk(asks: PendingAsks, askId: string, photoId: string, question: string): PendingAsks {
  return { ...asks, [askId]: { ...(asks[askId] ?? blank(askId)), photoId, question } };
}

/** Applies one event. A finished ask leaves the pending set; its entry is returned for the chat. */
export function applyAskEvent(asks: PendingAsks, event: AskEvent): { asks: PendingAsks; finished?: ChatEntry } {
  const current = asks[event.askId] ?? blank(event.askId);
  switch (event.type) {
    case 'token':
      return { asks: { ...asks, [event.askId]: { ...current, [event.side]: current[event.side] + event.text } } };
    case 'error':
      return { asks: { ...asks, [event.askId]: { ...current, error: event.message } } };
    case 'done': {
      const { [event.askId]: _finished, ...rest } = asks;
      return { asks: rest, finished: event.entry };
    }
  }
}

/** The chat shown for a photo: stored entries (oldest first) with a finished one appended once. */
export function mergeEntry(entries: ChatEntry[], entry: ChatEntry): ChatEntry[] {
  const i = entries.findIndex((e) => e.id === entry.id);
  if (i === -1) return [...entries, entry];
  return entries.map((e, j) => (j === i ? entry : e));
}

export function pendingFor(asks: PendingAsks, photoId: string): PendingAsk[] {
  return Object.values(asks).filter((a) => a.photoId === photoId);
}
