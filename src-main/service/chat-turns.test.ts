import { describe, expect, it } from 'vitest';
import type { ChatEntry, CompareResult } from '../../src-shared/api';
import { historyTurns } from './chat-turns';

const result = (full: string, fullMs: number, prunedMs: number) =>
  ({
    full: { text: full, timings: { totalMs: fullMs } },
    pruned: { text: full, timings: { totalMs: prunedMs } },
  }) as unknown as CompareResult;

const entry = (question: string, answer?: string): ChatEntry => ({
  id: question,
  photoId: 'p',
  question,
  askedAt: 0,
  method: 'vtc-cls',
  budget: { kind: 'count', count: 4 },
  ...(answer === undefined ? { error: 'engine stopped' } : { result: result(answer, 10, 5) }),
});

describe('historyTurns', () => {
  it('turns the last answered exchanges into user/assistant turns and skips failed ones', () => {
    const turns = historyTurns([entry('q1', 'a1'), entry('q2'), entry('q3', 'a3'), entry('q4', 'a4')], 2);
    expect(turns).toEqual([
      { role: 'user', text: 'q3' },
      { role: 'assistant', text: 'a3' },
      { role: 'user', text: 'q4' },
      { role: 'assistant', text: 'a4' },
    ]);
  });
});
