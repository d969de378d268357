// The one batch run at a time: one question over the selected photos.
import type { BatchEvent } from '../../src-shared/api';
import { applyBatchEvent, newBatchRun, type BatchRun } from '../lib/batch';
import { nextBudget, chat } from './chat.svelte';
import { client } from './app-client';
import { messageOf, notify } from './status.svelte';

export const batch = $state({
  question: '',
  run: null as BatchRun | null,
});

export async function startBatch(photoIds: string[]): Promise<void> {
  const question = batch.question.trim();
  if (!question || photoIds.length === 0) return;
  try {
    const { batchId } = await client.api.batch({ photoIds, question, method: chat.method, budget: nextBudget() });
    // Progress may already have arrived for this id; keep it.
    batch.run = batch.run?.batchId === batchId ? batch.run : newBatchRun(batchId, photoIds.length);
  } catch (e) {
    notify('error', messageOf(e));
  }
}

export async function cancelBatch(): Promise<void> {
  if (!batch.run || batch.run.finished) return;
  try {
    await client.api.cancelBatch({ batchId: batch.run.batchId });
  } catch (e) {
    notify('error', `Could not cancel: ${messageOf(e)}`);
  }
}

export function onBatchEvent(event: BatchEvent): void {
  batch.run = applyBatchEvent(batch.run ?? newBatchRun(event.batchId, 0), event);
}
