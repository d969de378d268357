import { afterEach, beforeEach, expect, it } from 'vitest';
import type { BatchEvent, BatchRequest, Photo } from '../../src-shared/api';
import { EngineError } from '../engine/errors';
import { createBatchService, type BatchService } from './batch-service';
import { LibraryStore } from './library-store';
import { AnsweringBench, compareResult, compareUntilCancelled, FakeCatalog, FakeEngine, modelInfo } from './test/fakes';

const photos: Photo[] = ['red', 'green', 'blue'].map((id, i) => ({
  id,
  name: `${id}.jpg`,
  path: `/photos/${id}.jpg`,
  width: 96,
  height: 64,
  addedAt: i,
}));
const request = (question: string): BatchRequest => ({
  photoIds: photos.map((p) => p.id),
  question,
  method: 'uniform',
  budget: { kind: 'count', count: 8 },
});

let bench: AnsweringBench<BatchEvent>;
let engine: FakeEngine;
let catalog: FakeCatalog;
let store: LibraryStore;
let batches: BatchService;
let events: BatchEvent[];

const finished = (batchId: string) =>
  bench.until((e): e is Extract<BatchEvent, { type: 'finished' }> => e.type === 'finished' && e.batchId === batchId);
const rows = (batchId: string) =>
  events.filter((e): e is Extract<BatchEvent, { type: 'progress' }> => e.type === 'progress' && e.batchId === batchId);

beforeEach(async () => {
  bench = await AnsweringBench.open<BatchEvent>(photos, 'batch-service');
  ({ engine, catalog, store, events } = bench);
  batches = createBatchService(bench.deps());
});

afterEach(async () => {
  batches.stop();
  await bench.close();
});

it("emits a progress row per photo, then finished; each answer joins its photo's chat", async () => {
  engine.compare = async (job) =>
    job.image.endsWith('green.jpg') ? compareResult('Green.', 'green') : compareResult('A red circle', 'a square');
  const { batchId } = await batches.api.batch(request('Describe it.'));
  expect(await finished(batchId)).toEqual({ type: 'finished', batchId, cancelled: false });
  expect(rows(batchId)).toEqual([
    {
      type: 'progress',
      batchId,
      done: 1,
      total: 3,
      row: { photoId: 'red', full: 'A red circle', pruned: 'a square', agree: false, fullMs: 97, prunedMs: 57 },
    },
    {
      type: 'progress',
      batchId,
      done: 2,
      total: 3,
      row: { photoId: 'green', full: 'Green.', pruned: 'green', agree: true, fullMs: 97, prunedMs: 57 },
    },
    {
      type: 'progress',
      batchId,
      done: 3,
      total: 3,
      row: { photoId: 'blue', full: 'A red circle', pruned: 'a square', agree: false, fullMs: 97, prunedMs: 57 },
    },
  ]);
  // Each photo is asked on its own: the same question, no history.
  expect(engine.compareJobs.map((j) => [j.image, j.prompt, j.history])).toEqual(photos.map((p) => [p.path, 'Describe it.', []]));
  for (const p of photos) expect(store.chats(p.id).map((c) => c.question)).toEqual(['Describe it.']);
});

it('grades each side where the true answer is known, in the row and in the chat', async () => {
  batches.stop();
  batches = createBatchService({
    ...bench.deps(),
    demo: { questions: async () => [], expected: async (p) => (p.id === 'green' ? 'green' : undefined) },
  });
  engine.compare = async () => compareResult('Green.', 'red');
  const { batchId } = await batches.api.batch(request('what color is the circle?'));
  await finished(batchId);
  expect(rows(batchId).map((r) => r.row.grade)).toEqual([undefined, { expected: 'green', full: true, pruned: false }, undefined]);
  expect(store.chats('green')[0].grade).toEqual({ expected: 'green', full: true, pruned: false });
});

it('a row the engine fails carries its error, and the batch goes on', async () => {
  engine.compare = async (job) => {
    if (job.image.endsWith('green.jpg')) throw new EngineError('CORRUPT_IMAGE', 'green.jpg cannot be decoded: the file is damaged');
    return compareResult('yes', 'yes');
  };
  const { batchId } = await batches.api.batch(request('Is it round?'));
  await finished(batchId);
  expect(rows(batchId).map((r) => r.row)).toEqual([
    { photoId: 'red', full: 'yes', pruned: 'yes', agree: true, fullMs: 97, prunedMs: 57 },
    { photoId: 'green', error: 'green.jpg cannot be decoded: the file is damaged' },
    { photoId: 'blue', full: 'yes', pruned: 'yes', agree: true, fullMs: 97, prunedMs: 57 },
  ]);
  expect(store.chats('green')).toEqual([]);
});

it('cancelBatch stops it: the row in flight ends without a row, no row starts after it, finished says cancelled', async () => {
  const hanging = compareUntilCancelled();
  engine.compare = hanging.compare;
  const { batchId } = await batches.api.batch(request('Again?'));
  await hanging.started;
  await batches.api.cancelBatch({ batchId });
  expect(await finished(batchId)).toEqual({ type: 'finished', batchId, cancelled: true });
  expect(rows(batchId)).toEqual([]);
  expect(engine.compareJobs).toHaveLength(1);
});

it('stop() cancels every batch in progress', async () => {
  const hanging = compareUntilCancelled();
  engine.compare = hanging.compare;
  const { batchId } = await batches.api.batch(request('Still there?'));
  await hanging.started;
  batches.stop();
  expect(await finished(batchId)).toMatchObject({ cancelled: true });
});

it('refuses a missing model or an unknown photo before it starts', async () => {
  catalog.models = [];
  await expect(batches.api.batch(request('q'))).rejects.toMatchObject({ code: 'MODEL_INCOMPLETE' });
  catalog.models = [modelInfo('tiny-smolvlm', { embedded: true })];
  await expect(batches.api.batch({ ...request('q'), photoIds: ['red', 'nope'] })).rejects.toMatchObject({
    code: 'FILE_NOT_FOUND',
    message: "No photo with id 'nope' in the library",
  });
  expect(events).toEqual([]);
  expect(engine.compareJobs).toEqual([]);
});
