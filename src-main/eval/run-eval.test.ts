// The evaluation loop on the random-weight SmolVLM fixture: its answers are gibberish, but the order of runs,
// the budgets, the caching and the up-front method check are the same as on a trained model.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureDir } from '../engine/test/paths';
import { writeSynthDataset } from '../engine/synth/dataset';
import { isCorrectAnswer } from '../../src-shared/answer-match';
import { conditionKey, evalConditions } from './conditions';
import { readEvalData, type EvalItem } from './eval-data';
import { encodingOrder, openEvalEngine, runEvaluation, type EvalProgress } from './run-eval';

describe('runEvaluation on tiny-smolvlm', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vtc-run-eval-'));
  let items: EvalItem[];
  let opened: Awaited<ReturnType<typeof openEvalEngine>>;

  beforeAll(async () => {
    await writeSynthDataset({ out: join(dir, 'set'), count: 2, seed: 7 });
    items = await readEvalData(join(dir, 'set', 'data.jsonl'));
    opened = await openEvalEngine(fixtureDir('tiny-smolvlm'), { graphCacheDir: join(dir, 'graphs') });
  });
  afterAll(async () => {
    await opened?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs every condition of a question back to back, from one encoding of its photo', async () => {
    const conditions = evalConditions(['received', 'random'], [0.5, 0.25]);
    const progress: EvalProgress[] = [];
    const runs = await runEvaluation(opened.engine, items, conditions, { maxNewTokens: 2, seed: 0, onProgress: (p) => progress.push(p) });

    expect(runs.map((r) => `${r.item.line}:${conditionKey(r.condition)}`)).toEqual(
      items.flatMap((item) => conditions.map((c) => `${item.line}:${conditionKey(c)}`)),
    );
    // The first photo was encoded by the warm-up; every other photo once, by its first run that reads attention
    // (whose encoding then serves the full run and the baseline from the cache).
    expect(runs.filter((r) => !r.visionCached).map((r) => `${r.item.line}:${conditionKey(r.condition)}`)).toEqual(['2:received@0.5']);
    expect(readdirSync(opened.cacheDir).filter((f) => f.endsWith('.vtcf'))).toHaveLength(items.length);

    for (const r of runs) {
      expect(r.correct).toBe(isCorrectAnswer(r.text, r.item.answer));
      expect(r.prefillMs).toBeGreaterThan(0);
      const full = runs.find((f) => f.item === r.item && f.condition.method === 'full')!;
      expect(r.visualTokens).toBe(Math.round(r.condition.keep * full.visualTokens));
    }
    expect(progress.map((p) => [p.done, p.total])).toEqual([
      [1, 2],
      [2, 2],
    ]);
    expect(progress[1].fullCorrect).toBe(runs.filter((r) => r.condition.method === 'full' && r.correct).length);
  });

  it('refuses vtc-cls on an encoder without [CLS] before measuring anything', async () => {
    const progress: EvalProgress[] = [];
    const conditions = evalConditions(['received', 'vtc-cls'], [0.25]);
    await expect(
      runEvaluation(opened.engine, items, conditions, { maxNewTokens: 2, seed: 0, onProgress: (p) => progress.push(p) }),
    ).rejects.toThrow(
      "vtc-cls needs [CLS] attention, but this vision encoder has no [CLS] token (it gave 'received' attention): use 'received'",
    );
    expect(progress).toEqual([]);
  });
});

describe('encodingOrder', () => {
  it('runs the widest attention reader first and full and the baselines last, keeping the rest in order', () => {
    const conditions = evalConditions(['vtc-cls', 'vtc-cls-ensemble', 'received', 'random'], [0.25]);
    expect(encodingOrder(conditions).map(conditionKey)).toEqual([
      'vtc-cls-ensemble@0.25',
      'vtc-cls@0.25',
      'received@0.25',
      'full@1',
      'random@0.25',
    ]);
  });
});
