// Chats per photo, the answers streaming in right now, and the settings for the next question.
import type { AskEvent, Budget, ChatEntry, PruningMethod } from '../../src-shared/api';
import { applyAskEvent, mergeEntry, startAsk, type PendingAsks } from '../lib/asks';
import { client } from './app-client';
import { messageOf, notify } from './status.svelte';

export const chat = $state({
  entries: {} as Record<string, ChatEntry[]>,
  /** Questions with a known true answer, per photo (demo scenes): chips on an empty chat. */
  suggestions: {} as Record<string, string[]>,
  asks: {} as PendingAsks,
  /** Method and budget apply to the next question (and to batch runs). */
  method: 'vtc-cls' as PruningMethod,
  budgetRatio: 0.25,
  /** Share of a tiling model's crops to encode; 1 encodes them all. */
  cropsRatio: 1,
  heatmap: false,
  /** Which answer's scores the heatmap shows; null means the newest. */
  heatmapEntryId: null as string | null,
});

export function nextBudget(): Budget {
  return { kind: 'ratio', ratio: chat.budgetRatio };
}

export async function loadChat(photoId: string): Promise<void> {
  try {
    const [entries, suggestions] = await Promise.all([client.api.chat({ photoId }), client.api.suggestedQuestions({ photoId })]);
    chat.entries[photoId] = entries;
    chat.suggestions[photoId] = suggestions;
  } catch (e) {
    notify('error', `Could not load the chat: ${messageOf(e)}`);
  }
}

export async function ask(photoId: string, question: string): Promise<void> {
  try {
    const crops = chat.cropsRatio < 1 ? { crops: chat.cropsRatio } : {};
    const { askId } = await client.api.ask({ photoId, question, method: chat.method, budget: nextBudget(), ...crops });
    chat.asks = startAsk(chat.asks, askId, photoId, question);
  } catch (e) {
    notify('error', messageOf(e));
  }
}

export async function cancelAsk(askId: string): Promise<void> {
  try {
    await client.api.cancelAsk({ askId });
  } catch (e) {
    notify('error', `Could not stop the answer: ${messageOf(e)}`);
  }
}

export function dismissAsk(askId: string): void {
  const { [askId]: _gone, ...rest } = chat.asks;
  chat.asks = rest;
}

export function onAskEvent(event: AskEvent): void {
  const { asks, finished } = applyAskEvent(chat.asks, event);
  chat.asks = asks;
  if (finished) {
    chat.entries[finished.photoId] = mergeEntry(chat.entries[finished.photoId] ?? [], finished);
    chat.heatmapEntryId = null;
  }
}
