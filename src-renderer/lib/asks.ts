// Streaming answers: stage and token events arrive per askId, possibly before `ask()` has even resolved, so
// pending asks are keyed by askId and learn their photo and question when the call returns.
import type { AskEvent, ChatEntry, CompareStage } from '../../src-shared/api';
import { formatCount } from '../../src-shared/format';

type Side = 'full' | 'pruned';

export interface PendingAsk {
  askId: string;
  photoId?: string;
  question?: string;
  full: string;
  pruned: string;
  /** The stage the comparison reported last. */
  stage?: CompareStage;
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
    case 'stage':
      return { asks: { ...asks, [event.askId]: { ...current, stage: event.progress } } };
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

/**
 * What one side is doing, in plain words. The photo's stages are shared, so both sides show them; then the pruned
 * side runs while the full one waits its turn.
 */
export function sideProgress(ask: PendingAsk, side: Side): string {
  const stage = ask.stage;
  switch (stage?.stage) {
    case undefined:
      return 'Starting…';
    case 'loading':
      return stage.step === 'opening' ? 'Loading the model…' : 'Warming up the model…';
    case 'reading':
      return 'Reading the photo…';
    case 'encoding':
      return `Encoding the photo: ${stage.done} of ${formatCount(stage.total, 'crop')}…`;
    case 'ranking':
      return side === 'pruned' ? 'Ranking the visual tokens…' : 'Waiting for the pruned answer…';
    case 'prefill':
    case 'answered': {
      const order: Side[] = ['pruned', 'full'];
      const at = order.indexOf(stage.side) + (stage.stage === 'answered' ? 1 : 0);
      const mine = order.indexOf(side);
      if (mine < at) return 'Answered';
      if (mine > at) return `Waiting for the ${order[at]} answer…`;
      return ask[side] ? 'Writing…' : 'Reading the prompt…';
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
