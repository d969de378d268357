import { describe, expect, it } from 'vitest';
import { applyBatchEvent, newBatchRun, summariseBatch } from './batch';

describe('batch runs', () => {
  it('collects rows and progress, ignoring other runs', () => {
    let run = newBatchRun('b1', 3);
    run = applyBatchEvent(run, {
      type: 'progress',
      batchId: 'b1',
      done: 1,
      total: 3,
      row: { photoId: 'p1', full: 'cat', pruned: 'cat', agree: true, fullMs: 300, prunedMs: 180 },
    });
    run = applyBatchEvent(run, { type: 'progress', batchId: 'other', done: 9, total: 9, row: { photoId: 'x' } });
    run = applyBatchEvent(run, { type: 'progress', batchId: 'b1', done: 2, total: 3, row: { photoId: 'p2', error: 'Not an image.' } });
    expect(run).toMatchObject({ done: 2, total: 3, finished: false });
    expect(run.rows.map((r) => r.photoId)).toEqual(['p1', 'p2']);
    run = applyBatchEvent(run, { type: 'finished', batchId: 'b1', cancelled: true });
    expect(run).toMatchObject({ finished: true, cancelled: true });
  });

  it('replaces a row reported twice for the same photo', () => {
    let run = newBatchRun('b1', 1);
    run = applyBatchEvent(run, { type: 'progress', batchId: 'b1', done: 0, total: 1, row: { photoId: 'p1' } });
    run = applyBatchEvent(run, { type: 'progress', batchId: 'b1', done: 1, total: 1, row: { photoId: 'p1', full: 'a' } });
    expect(run.rows).toEqual([{ photoId: 'p1', full: 'a' }]);
  });

  it('summarises agreement and each side’s time over answered rows only', () => {
    const summary = summariseBatch([
      { photoId: 'a', agree: true, fullMs: 300, prunedMs: 100, grade: { expected: 'two', full: true, pruned: true } },
      { photoId: 'b', agree: false, fullMs: 200, prunedMs: 150, grade: { expected: 'red', full: true, pruned: false } },
      { photoId: 'd', agree: false, fullMs: 10, prunedMs: 10 },
      { photoId: 'c', error: 'Corrupt file.' },
    ]);
    expect(summary).toEqual({ answered: 3, agreed: 1, failed: 1, graded: 2, fullCorrect: 2, prunedCorrect: 1, fullMs: 510, prunedMs: 260 });
  });
});
