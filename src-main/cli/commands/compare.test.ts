import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PRUNING_METHODS } from '../../../src-shared/api';
import { fixtureDir, photo } from '../../engine/test/paths';
import { CliUsageError } from '../args';
import { runVtc, stderrLines, type VtcRun } from '../runVtc';
import { parseMethod } from './compare';

const dataDir = mkdtempSync(join(tmpdir(), 'vtc-cli-compare-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const compare = (...args: string[]) => runVtc(['compare', ...args], dataDir);
const question = ['--model', fixtureDir('tiny-smolvlm'), '--image', photo('chelsea.png'), '--prompt', 'What is in this photo?', '--max-new-tokens', '2'];

describe('parseMethod', () => {
  it('accepts every pruning method and refuses others, listing them', () => {
    for (const m of PRUNING_METHODS) expect(parseMethod(m)).toBe(m);
    expect(() => parseMethod('fastv')).toThrow(CliUsageError);
    expect(() => parseMethod('fastv')).toThrow(`unknown method 'fastv' (known: ${PRUNING_METHODS.join(', ')})`);
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
    expect(text.stdout).toMatch(/^\[full\] .*\n\n\[pruned\] /s);
    const lines = text.stdout.trimEnd().split('\n');
    expect(lines.some((l) => /^full: {3}preprocess /.test(l))).toBe(true);
    expect(lines.some((l) => /^pruned: preprocess /.test(l))).toBe(true);
    expect(lines.some((l) => l.trim().startsWith('visual tokens 208 | '))).toBe(true);
    expect(lines.at(-1)).toMatch(/^received kept 208 of 832 visual tokens \| prefill [\d.]+x of full \| answers (agree|differ)$/);
  });

  it.concurrent.each([
    ['an unknown --method', ['--method', 'fastv', '--keep', '0.5'], `vtc: unknown method 'fastv' (known: ${PRUNING_METHODS.join(', ')})`],
    ['no --keep', ['--method', 'random'], 'vtc: missing required option --keep'],
    ['a --keep that is no number', ['--method', 'random', '--keep', 'half'], "vtc: --keep must be a fraction like 0.25 or a token count like 64, got 'half'"],
    ['a ratio above 1', ['--method', 'random', '--keep', '1.5'], 'vtc: token ratio must be in (0, 1], got 1.5'],
    ['a count of 0', ['--method', 'random', '--keep', '0'], 'vtc: token budget must be at least 1, got 0'],
    ['an unknown --positions', ['--method', 'random', '--keep', '0.5', '--positions', 'shuffled'], "vtc: --positions must be contiguous or original, got 'shuffled'"],
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
