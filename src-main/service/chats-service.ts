// The chats domain of the app API: a question about a photo, answered by the engine with and without pruning
// while the tokens of both sides stream as events, and each photo's chat history.
import { randomUUID } from 'node:crypto';
import type { AppApi, AskEvent, ChatEntry } from '../../src-shared/api';
import { historyTurns } from './chat-turns';
import type { AnsweringDeps } from './answering-deps';
import type { CompareJob } from './engine-process/engine-protocol';
import { gradeAnswers } from '../../src-shared/answer-match';
import { isEngineError } from '../engine/errors';
import { toWireError } from './wire-error';

export type ChatsApi = Pick<AppApi, 'chat' | 'suggestedQuestions' | 'ask' | 'cancelAsk'>;

export type ChatsServiceDeps = AnsweringDeps<AskEvent>;

export interface ChatsService {
  readonly api: ChatsApi;
  /** Cancels the questions in flight (the app is closing); each stays in its chat with its error. */
  stop(): void;
}

export function createChatsService({ store, library, engine, models, emit, cacheDir, demo }: ChatsServiceDeps): ChatsService {
  const asks = new Map<string, AbortController>();

  /** Answers in the background: `ask` has already returned the askId that the events name. */
  async function answer(entry: ChatEntry, job: CompareJob, controller: AbortController, expected?: string): Promise<void> {
    // What each side has written so far: Stop keeps it, as a chat app keeps a stopped reply.
    const partial = { full: '', pruned: '' };
    try {
      const result = await engine.call('compare', job, {
        signal: controller.signal,
        onEvent: (e) => {
          if ('progress' in e) return emit({ type: 'stage', askId: entry.id, progress: e.progress });
          partial[e.side] += e.text;
          emit({ type: 'token', askId: entry.id, side: e.side, text: e.text });
        },
      });
      await finish({
        ...entry,
        result,
        ...(expected === undefined ? {} : { grade: gradeAnswers(expected, result.full.text, result.pruned.text) }),
      });
    } catch (e) {
      // Stopping is what the person asked for, not a failure: the entry keeps the partial answers.
      if (controller.signal.aborted && isEngineError(e) && e.code === 'CANCELLED') {
        await finish({ ...entry, stopped: partial }).catch(() => undefined);
        return;
      }
      const { message } = toWireError(e);
      // The question stays in the chat with its error, so nothing the person typed is lost.
      await store.putChat({ ...entry, error: message }).catch(() => undefined);
      emit({ type: 'error', askId: entry.id, message });
    } finally {
      asks.delete(entry.id);
    }
  }

  async function finish(done: ChatEntry): Promise<void> {
    await store.putChat(done);
    emit({ type: 'done', askId: done.id, entry: done });
  }

  const api: ChatsApi = {
    chat: async ({ photoId }) => store.chats(library.require(photoId).id),
    suggestedQuestions: async ({ photoId }) => (await demo.questions(library.require(photoId))).map((qa) => qa.question),
    async ask(req) {
      const photo = library.require(req.photoId);
      // The setup and the history are taken now, so a model or settings problem is this call's answer.
      const job: CompareJob = {
        ...(await models.engineSetup(req.method)),
        cacheDir,
        image: photo.path,
        prompt: req.question,
        history: historyTurns(store.chats(photo.id)),
        maxNewTokens: req.maxNewTokens,
        method: req.method,
        budget: req.budget,
        crops: req.crops,
      };
      const entry: ChatEntry = {
        id: randomUUID(),
        photoId: photo.id,
        question: req.question,
        askedAt: Date.now(),
        method: req.method,
        budget: req.budget,
        ...(req.crops === undefined ? {} : { crops: req.crops }),
      };
      await store.putChat(entry);
      const controller = new AbortController();
      asks.set(entry.id, controller);
      void answer(entry, job, controller, await demo.expected(photo, req.question));
      return { askId: entry.id };
    },
    async cancelAsk({ askId }) {
      asks.get(askId)?.abort();
    },
  };

  return {
    api,
    stop() {
      for (const c of asks.values()) c.abort();
    },
  };
}
