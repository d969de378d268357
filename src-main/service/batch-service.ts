// The batch domain of the app API: one question over many photos, answered row by row (full and pruned, whether
// they agree, each side's own compute time), with a progress event per row and one when the batch ends.
import { randomUUID } from 'node:crypto';
import type { AppApi, BatchEvent, BatchRequest, BatchRow, Photo } from '../../src-shared/api';
import { sideMs } from '../../src-shared/side-timings';
import { answersAgree, gradeAnswers } from '../../src-shared/answer-match';
import type { AnsweringDeps } from './answering-deps';
import type { CompareJob } from './engine-process/engine-protocol';
import { toWireError } from './wire-error';

export type BatchApi = Pick<AppApi, 'batch' | 'cancelBatch'>;

export type BatchServiceDeps = AnsweringDeps<BatchEvent>;

export interface BatchService {
  readonly api: BatchApi;
  /** Cancels the batches in progress (the app is closing); the rows answered so far stay in the chats. */
  stop(): void;
}

export function createBatchService({ store, library, engine, models, emit, cacheDir, demo }: BatchServiceDeps): BatchService {
  const batches = new Map<string, AbortController>();

  /** A batch row asks without history: each photo gets the same question, not a follow-up. */
  async function compareJob(photo: Photo, req: BatchRequest): Promise<CompareJob> {
    const setup = await models.engineSetup(req.method);
    return { ...setup, cacheDir, image: photo.path, prompt: req.question, history: [], method: req.method, budget: req.budget };
  }

  /** Runs in the background, one row at a time; a row's failure is that row's error, and the batch goes on. */
  async function run(batchId: string, photos: Photo[], req: BatchRequest, controller: AbortController): Promise<void> {
    let done = 0;
    for (const photo of photos) {
      if (controller.signal.aborted) break;
      const row: BatchRow = { photoId: photo.id };
      try {
        const result = await engine.call('compare', await compareJob(photo, req), { signal: controller.signal });
        const expected = await demo.expected(photo, req.question);
        const grade = expected === undefined ? undefined : gradeAnswers(expected, result.full.text, result.pruned.text);
        Object.assign(row, {
          full: result.full.text,
          pruned: result.pruned.text,
          agree: answersAgree(result.full.text, result.pruned.text),
          ...(grade ? { grade } : {}),
          fullMs: Math.round(sideMs(result.full.timings)),
          prunedMs: Math.round(sideMs(result.pruned.timings)),
        });
        // Batch answers join the photo's chat, so search by past answers finds them too.
        await store.putChat({
          id: randomUUID(),
          photoId: photo.id,
          question: req.question,
          askedAt: Date.now(),
          method: req.method,
          budget: req.budget,
          result,
          ...(grade ? { grade } : {}),
        });
      } catch (e) {
        if (controller.signal.aborted) break;
        row.error = toWireError(e).message;
      }
      done++;
      emit({ type: 'progress', batchId, done, total: photos.length, row });
    }
    batches.delete(batchId);
    emit({ type: 'finished', batchId, cancelled: controller.signal.aborted });
  }

  const api: BatchApi = {
    async batch(req) {
      const photos = req.photoIds.map((id) => library.require(id));
      await models.engineSetup(req.method); // refuse a missing model now, not once per row
      const batchId = randomUUID();
      const controller = new AbortController();
      batches.set(batchId, controller);
      void run(batchId, photos, req, controller);
      return { batchId };
    },
    async cancelBatch({ batchId }) {
      batches.get(batchId)?.abort();
    },
  };

  return {
    api,
    stop() {
      for (const c of batches.values()) c.abort();
    },
  };
}
