// Batch progress: rows arrive one per photo; the summary says how often pruning agreed, how often each side was right
// where the true answer is known, and how fast each side was.
import type { BatchEvent, BatchRow } from '../../src-shared/api';

export interface BatchRun {
  batchId: string;
  total: number;
  done: number;
  rows: BatchRow[];
  finished: boolean;
  cancelled: boolean;
}

export function newBatchRun(batchId: string, total: number): BatchRun {
  return { batchId, total, done: 0, rows: [], finished: false, cancelled: false };
}

/** Applies an event for this run; events of other runs leave it unchanged. */
export function applyBatchEvent(run: BatchRun, event: BatchEvent): BatchRun {
  if (event.batchId !== run.batchId) return run;
  if (event.type === 'finished') return { ...run, finished: true, cancelled: event.cancelled };
  const rows = run.rows.filter((r) => r.photoId !== event.row.photoId);
  return { ...run, done: event.done, total: event.total, rows: [...rows, event.row] };
}

export interface BatchSummary {
  answered: number;
  agreed: number;
  failed: number;
  /** Rows whose true answer is known, and how many of them each side got right. */
  graded: number;
  fullCorrect: number;
  prunedCorrect: number;
  /** Each side's own compute over the answered rows. */
  fullMs: number;
  prunedMs: number;
}

export function summariseBatch(rows: BatchRow[]): BatchSummary {
  const answered = rows.filter((r) => !r.error);
  return {
    answered: answered.length,
    agreed: answered.filter((r) => r.agree).length,
    failed: rows.length - answered.length,
    graded: answered.filter((r) => r.grade).length,
    fullCorrect: answered.filter((r) => r.grade?.full).length,
    prunedCorrect: answered.filter((r) => r.grade?.pruned).length,
    fullMs: answered.reduce((sum, r) => sum + (r.fullMs ?? 0), 0),
    prunedMs: answered.reduce((sum, r) => sum + (r.prunedMs ?? 0), 0),
  };
}
