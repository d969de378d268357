import { describe, expect, it } from 'vitest';
import type { ChatEntry } from '../../src-shared/api';
import { applyAskEvent, mergeEntry, pendingFor, startAsk } from './asks';

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
