import { describe, expect, it } from 'vitest';
import type { ChatEntry, CompareStage } from '../../src-shared/api';
import { applyAskEvent, mergeEntry, pendingFor, sideProgress, startAsk, type PendingAsk } from './asks';

const entry = (id: string, question: string): ChatEntry => ({
  id,
  photoId: 'p1',
  question,
  askedAt: 1,
  method: 'vtc-cls',
  budget: { kind: 'ratio', ratio: 0.25 },
});

describe('pending asks', () => {
  it('streams tokens per side, even when they arrive before ask() returns', () => {
    let asks = applyAskEvent({}, { type: 'token', askId: 'a1', side: 'full', text: 'A ' }).asks;
    asks = startAsk(asks, 'a1', 'p1', 'What is it?');
    asks = applyAskEvent(asks, { type: 'token', askId: 'a1', side: 'pruned', text: 'A' }).asks;
    asks = applyAskEvent(asks, { type: 'token', askId: 'a1', side: 'full', text: 'cat' }).asks;
    expect(asks.a1).toEqual({ askId: 'a1', photoId: 'p1', question: 'What is it?', full: 'A cat', pruned: 'A' });
    expect(pendingFor(asks, 'p1')).toHaveLength(1);
    expect(pendingFor(asks, 'p2')).toHaveLength(0);
  });

  it('keeps a failed ask visible with its message', () => {
    let asks = startAsk({}, 'a2', 'p1', 'Why?');
    asks = applyAskEvent(asks, { type: 'error', askId: 'a2', message: 'The engine stopped.' }).asks;
    expect(asks.a2.error).toBe('The engine stopped.');
  });

  it('hands over the finished entry and forgets the pending one', () => {
    const asks = startAsk(startAsk({}, 'a1', 'p1', 'Q1'), 'a2', 'p1', 'Q2');
    const { asks: after, finished } = applyAskEvent(asks, { type: 'done', askId: 'a1', entry: entry('e1', 'Q1') });
    expect(finished?.id).toBe('e1');
    expect(Object.keys(after)).toEqual(['a2']);
  });
});

describe('sideProgress', () => {
  const at = (progress: CompareStage, text: Partial<PendingAsk> = {}) => ({
    ...applyAskEvent(startAsk({}, 'a', 'p1', 'Q'), { type: 'stage', askId: 'a', progress }).asks.a,
    ...text,
  });
  const both = (ask: PendingAsk) => [sideProgress(ask, 'pruned'), sideProgress(ask, 'full')];

  it('shows the photo’s shared stages on both sides, with the crops encoded so far', () => {
    expect(both(startAsk({}, 'a', 'p1', 'Q').a)).toEqual(['Starting…', 'Starting…']);
    expect(both(at({ stage: 'reading' }))).toEqual(['Reading the photo…', 'Reading the photo…']);
    expect(both(at({ stage: 'encoding', done: 3, total: 13 }))).toEqual(Array(2).fill('Encoding the photo: 3 of 13 crops…'));
    expect(sideProgress(at({ stage: 'encoding', done: 0, total: 1 }), 'full')).toBe('Encoding the photo: 0 of 1 crop…');
  });

  it('shows loading the model and warming it up on both sides', () => {
    expect(both(at({ stage: 'loading', step: 'opening' }))).toEqual(['Loading the model…', 'Loading the model…']);
    expect(both(at({ stage: 'loading', step: 'warming-up' }))).toEqual(['Warming up the model…', 'Warming up the model…']);
  });

  it('runs the pruned side first while the full side says it waits, then the full side', () => {
    expect(both(at({ stage: 'ranking' }))).toEqual(['Ranking the visual tokens…', 'Waiting for the pruned answer…']);
    expect(both(at({ stage: 'prefill', side: 'pruned' }))).toEqual(['Reading the prompt…', 'Waiting for the pruned answer…']);
    expect(both(at({ stage: 'prefill', side: 'pruned' }, { pruned: 'Two' }))).toEqual(['Writing…', 'Waiting for the pruned answer…']);
    expect(both(at({ stage: 'answered', side: 'pruned' }, { pruned: 'Two' }))).toEqual(['Answered', 'Reading the prompt…']);
    expect(both(at({ stage: 'prefill', side: 'full' }, { pruned: 'Two', full: 'T' }))).toEqual(['Answered', 'Writing…']);
    expect(both(at({ stage: 'answered', side: 'full' }, { pruned: 'Two', full: 'Two' }))).toEqual(['Answered', 'Answered']);
  });
});

describe('mergeEntry', () => {
  it('appends a new entry once and replaces a known one in place', () => {
    const list = [entry('e1', 'Q1')];
    const appended = mergeEntry(list, entry('e2', 'Q2'));
    expect(appended.map((e) => e.id)).toEqual(['e1', 'e2']);
    const replaced = mergeEntry(appended, { ...entry('e1', 'Q1'), error: 'x' });
    expect(replaced.map((e) => e.id)).toEqual(['e1', 'e2']);
    expect(replaced[0].error).toBe('x');
  });
});
