import { describe, expect, it } from 'vitest';
import { evalTable, formatDuration, progressLine, progressPrinter, targetLines } from './eval-report';

describe('eval report', () => {
  it('prints one aligned row per condition, with "-" for an undefined retention', () => {
    const rows = evalTable([
      { method: 'full', keep: 1, accuracy: 0.8125, retention: 1, prefill_ms: 120.04, rank_ms: 0, speedup: 1, visual_tokens: 576 },
      { method: 'vtc-cls', keep: 0.11, accuracy: 0.5, retention: null, prefill_ms: 25, rank_ms: 5, speedup: 4.0013, visual_tokens: 63.5 },
    ]).split('\n');
    expect(rows).toEqual([
      'method   keep  visual tokens  accuracy  retention  prefill ms  rank ms  rank + prefill against full',
      '-------  ----  -------------  --------  ---------  ----------  -------  ---------------------------',
      'full     1.00          576.0     81.3%     100.0%      120.04     0.00                      as fast',
      'vtc-cls  0.11           63.5     50.0%          -       25.00     5.00                  4.0× faster',
    ]);
  });

  it('marks missed targets so they stand out', () => {
    expect(
      targetLines([
        { target: 't1', measured: '1', met: true },
        { target: 't2', measured: '2', met: false },
      ]),
    ).toEqual(['met     t1: 1', 'MISSED  t2: 2']);
  });

  it('formats durations from seconds to hours', () => {
    expect([999, 59_400, 61_000, 3_599_000, 3_720_000].map(formatDuration)).toEqual(['1s', '59s', '1m01s', '59m59s', '1h02m']);
  });

  it('shows progress with the full model accuracy so far and the time left', () => {
    expect(progressLine({ done: 10, total: 40, elapsedMs: 20_000, fullCorrect: 7 })).toBe(
      'eval 10/40 questions | full correct 7 (70.0%) | 20s elapsed, about 1m00s left',
    );
    expect(progressLine({ done: 40, total: 40, elapsedMs: 80_000, fullCorrect: 30 })).toBe(
      'eval 40/40 questions | full correct 30 (75.0%) | 1m20s elapsed',
    );
  });

  it('rewrites one progress line on a terminal and ends it after the last question', () => {
    const written: string[] = [];
    const print = progressPrinter({ isTTY: true, write: (t: string) => written.push(t) });
    const p = (done: number) => ({ done, total: 2, elapsedMs: 1000 * done, fullCorrect: 0 });
    print(p(1));
    print(p(2));
    expect(written).toEqual([`\r\x1b[K${progressLine(p(1))}`, `\r\x1b[K${progressLine(p(2))}\n`]);
  });

  it('writes a plain line every 5% of the questions elsewhere', () => {
    const written: string[] = [];
    const print = progressPrinter({ isTTY: false, write: (t: string) => written.push(t) });
    for (let done = 1; done <= 50; done++) print({ done, total: 50, elapsedMs: done, fullCorrect: 0 });
    const shown = [3, 5, 8, 10, 13, 15, 18, 20, 23, 25, 28, 30, 33, 35, 38, 40, 43, 45, 48, 50];
    expect(written.map((l) => l.split(' ')[1])).toEqual(shown.map((d) => `${d}/50`));
    expect(written.every((l) => l.endsWith('\n'))).toBe(true);
  });
});
