import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PRUNING_METHODS } from '../../../src-shared/api';
import { fixtureDir, photo } from '../../engine/test/paths';
import { CliUsageError } from '../args';
import { runVtc, stderrLines, type VtcRun } from '../test/run-vtc';
import { parseMethod } from './compare';

const dataDir = mkdtempSync(join(tmpdir(), 'vtc-cli-compare-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const compare = (...args: string[]) => runVtc(['compare', ...args], dataDir);
const question = [
  '--model',
  fixtureDir('tiny-smolvlm'),
  '--image',
  photo('chelsea.png'),
  '--prompt',
  'What is in this photo?',
  '--max-new-tokens',
  '2',
];

describe('parseMethod', () => {
  it('accepts every pruning method and refuses others, listing them', () => {
    for (const m of PRUNING_METHODS) expect(parseMethod(m)).toBe(m);
    expect(() => parseMethod('tome')).toThrow(CliUsageError);
    expect(() => parseMethod('tome')).toThrow(`unknown method 'tome' (known: ${PRUNING_METHODS.join(', ')})`);
  });
});

describe('vtc compare', () => {
  let json: VtcRun;
  let text: VtcRun;
  beforeAll(async () => {
    [json, text] = await Promise.all([
      compare(...question, '--method', 'received', '--keep', '100', '--json'),
      compare(...question, '--method', 'received', '--keep', '0.25'),
    ]);
  });

  it('--json prints one compare result: a count budget keeps that many tokens', () => {
    expect(json.code).toBe(0);
    expect(stderrLines(json).filter((l) => l.startsWith('vtc:'))).toEqual([
      'vtc: warning: tiny-smolvlm has random weights (a test model): its answers are meaningless',
    ]);
    expect(json.stdout.trimEnd().split('\n')).toHaveLength(1);
    const result = JSON.parse(json.stdout);
    expect(Object.keys(result).sort()).toEqual(['full', 'grid', 'pruned', 'scores']);
    expect(result.pruned.kept).toHaveLength(100);
    expect(result.pruned.counts.visualTokens).toBe(100);
    expect(result.full.counts.visualTokens).toBe(832);
    expect(result.scores).toHaveLength(832);
    expect(result.full.counts.promptTokens - result.pruned.counts.promptTokens).toBe(732);
  });

  it('streams both sides, then the timings and a summary line with a fraction budget', () => {
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^\[pruned\] .*\n\n\[full\] /s);
    const lines = text.stdout.trimEnd().split('\n');
    expect(
      lines.some((l) => /^photo: {2}preprocess [\d.]+ ms \| vision [\d.]+ ms( \(cached\))? \| once, shared by both sides$/.test(l)),
    ).toBe(true);
    const side =
      /^first token [\d.]+ ms \| embed [\d.]+ ms \| prefill [\d.]+ ms \| decode [\d.]+ ms \(\d+ tokens?, [\d.]+ tok\/s\) \| own total [\d.]+ ms$/;
    expect(lines.filter((l) => /^(full: {3}|pruned: )/.test(l)).map((l) => l.replace(/^(full: {3}|pruned: )/, ''))).toEqual([
      expect.stringMatching(side),
      expect.stringMatching(side),
    ]);
    expect(lines.some((l) => l.trim().startsWith('visual tokens 208 | '))).toBe(true);
    expect(lines.at(-1)).toMatch(
      /^received kept 208 of 832 prunable visual tokens \| pruned (\d+\.\d× (faster|slower) than full|as fast as full) \| prefill (\d+\.\d× (faster|slower) than full|as fast as full) \| answers (agree|differ)$/,
    );
  });

  it.concurrent.each([
    ['an unknown --method', ['--method', 'tome', '--keep', '0.5'], `vtc: unknown method 'tome' (known: ${PRUNING_METHODS.join(', ')})`],
    ['no --keep', ['--method', 'random'], 'vtc: missing required option --keep'],
    [
      'a --keep that is no number',
      ['--method', 'random', '--keep', 'half'],
      "vtc: --keep must be a fraction in (0, 1] with a decimal point (0.25, .5, 1.0) or a whole number of tokens >= 1 (64), got 'half'",
    ],
    [
      'a count above the visual tokens',
      ['--method', 'random', '--keep', '5000'],
      'vtc: token budget 5000 exceeds the 832 visual tokens of this image',
    ],
    [
      'an unknown --positions',
      ['--method', 'random', '--keep', '0.5', '--positions', 'shuffled'],
      "vtc: --positions must be contiguous or original, got 'shuffled'",
    ],
    [
      'vtc-cls on a model without [CLS]',
      ['--method', 'vtc-cls', '--keep', '0.5'],
      "vtc: vtc-cls needs [CLS] attention, but this vision encoder has no [CLS] token (it gave 'received' attention): use 'received'",
    ],
  ])('fails with one vtc: line and no stack for %s', async (_case, args, line) => {
    const run = await compare(...question, ...args);
    expect(run.code).toBe(1);
    expect(stderrLines(run)).toEqual([line]);
    expect(run.stdout).toBe('');
  });
});

describe('vtc compare refuses a budget before it loads the model', () => {
  // The model folder does not exist: an error about --keep proves the budget was checked first.
  const missingModel = ['--model', '/no/such/model', '--image', photo('chelsea.png'), '--prompt', 'x', '--method', 'uniform'];
  // Every form is in engineOptions.test.ts; here, one of each kind through the real command.
  it.concurrent.each(['0x10', '1.5', '0', '-0.5'])('--keep %s', async (keep) => {
    const run = await compare(...missingModel, `--keep=${keep}`);
    expect(run.code).toBe(1);
    expect(stderrLines(run)).toEqual([
      `vtc: --keep must be a fraction in (0, 1] with a decimal point (0.25, .5, 1.0) or a whole number of tokens >= 1 (64), got '${keep}'`,
    ]);
  });

  it('--per-tile-floor', async () => {
    const run = await compare(...missingModel, '--keep', '0.5', '--per-tile-floor=-2');
    expect(stderrLines(run)).toEqual(["vtc: --per-tile-floor must be an integer >= 0, got '-2'"]);
  });
});
