import { afterEach, beforeEach, expect, it } from 'vitest';
import type { AskEvent, AskRequest, Photo } from '../../src-shared/api';
import { EngineError } from '../engine/errors';
import { createChatsService, type ChatsService } from './chats-service';
import { AnsweringBench, compareResult, compareUntilCancelled, FakeEngine } from './test/fakes';

const photo: Photo = { id: 'red', name: 'red.jpg', path: '/photos/red.jpg', width: 96, height: 64, addedAt: 1 };
const question = (text: string): AskRequest => ({
  photoId: photo.id,
  question: text,
  method: 'uniform',
  budget: { kind: 'ratio', ratio: 0.5 },
  maxNewTokens: 6,
});

let bench: AnsweringBench<AskEvent>;
let engine: FakeEngine;
let chats: ChatsService;
let events: AskEvent[];

/** The event that ends an ask: `done` or `error`. */
const ended = (askId: string) =>
  bench.until((e): e is Extract<AskEvent, { type: 'done' | 'error' }> => (e.type === 'done' || e.type === 'error') && e.askId === askId);

beforeEach(async () => {
  bench = await AnsweringBench.open<AskEvent>([photo], 'chats-service');
  ({ engine, events } = bench);
  chats = createChatsService(bench.deps());
});

afterEach(async () => {
  chats.stop();
  await bench.close();
});

it('streams stages and both sides as events, stores the answer and sends done; a follow-up carries the exchange before it', async () => {
  const { askId } = await chats.api.ask(question('What colour is this?'));
  const done = await ended(askId);
  expect(events.filter((e) => e.type === 'token' || e.type === 'stage')).toEqual([
    { type: 'stage', askId, progress: { stage: 'reading' } },
    { type: 'stage', askId, progress: { stage: 'ranking' } },
    { type: 'token', askId, side: 'pruned', text: 'pruned answer to What colour is this?' },
    { type: 'token', askId, side: 'full', text: 'full answer to What colour is this?' },
  ]);
  expect(done).toMatchObject({
    type: 'done',
    entry: {
      id: askId,
      photoId: 'red',
      question: 'What colour is this?',
      result: { pruned: { text: 'pruned answer to What colour is this?' } },
    },
  });
  expect(await chats.api.chat({ photoId: 'red' })).toEqual([(done as Extract<AskEvent, { type: 'done' }>).entry]);

  await ended((await chats.api.ask(question('And the shape?'))).askId);
  const [first, followUp] = engine.compareJobs;
  expect(first).toEqual({
    modelDir: '/models/tiny-smolvlm',
    ep: 'cpu',
    threads: 2,
    cacheDir: '/data/cache/vision-features',
    image: '/photos/red.jpg',
    prompt: 'What colour is this?',
    history: [],
    maxNewTokens: 6,
    method: 'uniform',
    budget: { kind: 'ratio', ratio: 0.5 },
  });
  expect(followUp.history).toEqual([
    { role: 'user', text: 'What colour is this?' },
    { role: 'assistant', text: 'full answer to What colour is this?' },
  ]);
});

it('grades both sides against the true answer where one is known, and suggests those questions', async () => {
  chats.stop();
  const questions = [{ type: 'count' as const, question: 'how many circles are there?', answer: 'two' }];
  chats = createChatsService({
    ...bench.deps(),
    demo: {
      questions: async (p) => (p.id === photo.id ? questions : []),
      expected: async (p, q) => (p.id === photo.id && q === questions[0].question ? questions[0].answer : undefined),
    },
  });
  engine.compare = async () => compareResult('Two.', 'one');
  expect(await chats.api.suggestedQuestions({ photoId: 'red' })).toEqual(['how many circles are there?']);
  const graded = await ended((await chats.api.ask(question('how many circles are there?'))).askId);
  expect(graded).toMatchObject({ type: 'done', entry: { grade: { expected: 'two', full: true, pruned: false } } });
  const [stored] = await chats.api.chat({ photoId: 'red' });
  expect(stored.grade).toEqual({ expected: 'two', full: true, pruned: false });
  // A question without a known answer is not graded.
  const free = await ended((await chats.api.ask(question('What is it?'))).askId);
  expect(free.type === 'done' && 'grade' in free.entry).toBe(false);
});

it('keeps the question in the chat with its error when the engine fails, and sends error', async () => {
  engine.compare = async () => {
    throw new EngineError('ENGINE_CRASHED', 'The engine process killed by SIGKILL while working; it is being restarted. Ask again.');
  };
  const { askId } = await chats.api.ask(question('Will this survive?'));
  expect(await ended(askId)).toEqual({
    type: 'error',
    askId,
    message: 'The engine process killed by SIGKILL while working; it is being restarted. Ask again.',
  });
  expect(await chats.api.chat({ photoId: 'red' })).toMatchObject([
    {
      id: askId,
      question: 'Will this survive?',
      error: 'The engine process killed by SIGKILL while working; it is being restarted. Ask again.',
    },
  ]);
  expect((await chats.api.chat({ photoId: 'red' }))[0].result).toBeUndefined();
});

it('cancelAsk stops the engine call; the question stays with the partial answers, not as an error', async () => {
  const hanging = compareUntilCancelled();
  engine.compare = hanging.compare;
  const { askId } = await chats.api.ask(question('A long answer?'));
  await hanging.started;
  await chats.api.cancelAsk({ askId });
  const stopped = { full: '', pruned: 'the start of an answer to A long answer?' };
  expect(await ended(askId)).toMatchObject({ type: 'done', askId, entry: { question: 'A long answer?', stopped } });
  const [entry] = await chats.api.chat({ photoId: 'red' });
  expect(entry).toMatchObject({ question: 'A long answer?', stopped });
  expect([entry.error, entry.result]).toEqual([undefined, undefined]);
  // A stopped exchange is not history for the next question: it has no complete answer.
  engine.compare = async () => compareResult('yes', 'yes');
  await ended((await chats.api.ask(question('Next?'))).askId);
  expect(engine.compareJobs.at(-1)?.history).toEqual([]);
  // An ask that has ended, or never was, is nothing to cancel.
  await expect(chats.api.cancelAsk({ askId })).resolves.toBeUndefined();
});

it('stop() cancels every question in flight', async () => {
  const hanging = compareUntilCancelled();
  engine.compare = hanging.compare;
  const { askId } = await chats.api.ask(question('Still there?'));
  await hanging.started;
  chats.stop();
  expect(await ended(askId)).toMatchObject({ type: 'done', entry: { stopped: { pruned: 'the start of an answer to Still there?' } } });
});

it('refuses an unknown photo and a method the model cannot use before anything is stored or asked', async () => {
  await expect(chats.api.ask({ ...question('q'), photoId: 'nope' })).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
  await expect(chats.api.ask({ ...question('q'), method: 'vtc-cls' })).rejects.toThrow(
    'tiny-smolvlm cannot use vtc-cls (its vision encoder allows: received, random, uniform)',
  );
  await expect(chats.api.chat({ photoId: 'nope' })).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
  expect(await chats.api.chat({ photoId: 'red' })).toEqual([]);
  expect(engine.compareJobs).toEqual([]);
});
