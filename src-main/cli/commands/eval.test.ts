import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSynthDataset } from '../../engine/synth/dataset';
import { fixtureDir } from '../../engine/test/paths';
import { runVtc } from '../test/run-vtc';
import { parseKeepList, parseMethodList } from './eval';

describe('eval option lists', () => {
  it('reads methods, accepting full (always run) and refusing unknown names', () => {
    expect(parseMethodList('full, vtc-cls,random')).toEqual(['vtc-cls', 'random']);
    expect(() => parseMethodList('full,sparsevlm')).toThrow("unknown method 'sparsevlm'");
    expect(() => parseMethodList('random,,uniform')).toThrow(
      "--methods is a comma-separated list without empty entries, got 'random,,uniform'",
    );
  });

  it('reads kept fractions and refuses token counts', () => {
    expect(parseKeepList('0.5,0.25,.11')).toEqual([0.5, 0.25, 0.11]);
    expect(() => parseKeepList('0.5,64')).toThrow("--keep takes fractions of the visual tokens such as 0.25, got '64'");
    const form = '--keep must be a fraction in (0, 1] with a decimal point (0.25, .5, 1.0) or a whole number of tokens >= 1 (64)';
    expect(() => parseKeepList('0.5,half')).toThrow(`${form}, got 'half'`);
    // Refused while the options are read, before any model loads (it used to fail only in the first pruned run).
    expect(() => parseKeepList('0.5,1.5')).toThrow(`${form}, got '1.5'`);
  });
});

describe('vtc eval on tiny-smolvlm', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vtc-eval-cli-'));
  const data = join(dir, 'set', 'data.jsonl');
  const vtc = async (...args: string[]) => runVtc(['eval', ...args], join(dir, 'data'));

  beforeAll(() => writeSynthDataset({ out: join(dir, 'set'), count: 2, seed: 3 }));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints one JSON result per condition, full first with keep 1, and progress on stderr', async () => {
    const { code, stdout, stderr } = await vtc(
      '--model',
      fixtureDir('tiny-smolvlm'),
      '--data',
      data,
      '--methods',
      'full,uniform',
      '--keep',
      '0.25',
      '--max-new-tokens',
      '2',
      '--by-type',
      '--json',
    );
    expect(code).toBe(0);
    const out = JSON.parse(stdout);
    expect(out.questions).toBe(2);
    expect(out.results.map((r: { method: string; keep: number }) => [r.method, r.keep])).toEqual([
      ['full', 1],
      ['uniform', 0.25],
    ]);
    const [full, uniform] = out.results;
    expect(Object.keys(full).sort()).toEqual([
      'accuracy',
      'keep',
      'method',
      'prefill_ms',
      'rank_ms',
      'retention',
      'speedup',
      'visual_tokens',
    ]);
    expect(full.speedup).toBe(1);
    expect(uniform.visual_tokens).toBe(Math.round(0.25 * full.visual_tokens));
    expect(uniform.speedup).toBeCloseTo(full.prefill_ms / (uniform.prefill_ms + uniform.rank_ms), 9);
    expect(stderr).toContain('eval 2/2 questions');
    const types = Object.keys(out.by_type);
    expect(types.length).toBeGreaterThan(0);
    for (const type of types) expect(out.by_type[type].map((r: { method: string }) => r.method)).toEqual(['full', 'uniform']);
  });

  it('refuses an unknown position scheme before loading the model', async () => {
    const failure = await vtc('--model', fixtureDir('tiny-smolvlm'), '--data', data, '--positions', 'sideways');
    expect(failure.code).toBe(1);
    expect(failure.stderr).toContain("vtc: --positions must be contiguous or original, got 'sideways'");
  });

  it('stops with one line before any run when a method needs attention the model lacks', async () => {
    const failure = await vtc('--model', fixtureDir('tiny-smolvlm'), '--data', data, '--methods', 'full,vtc-cls', '--keep', '0.25');
    expect(failure.code).toBe(1);
    expect(
      failure.stderr
        .trim()
        .split('\n')
        .filter((l: string) => !l.startsWith('npm warn')),
    ).toEqual([
      "vtc: vtc-cls needs [CLS] attention, but this vision encoder has no [CLS] token (it gave 'received' attention): use 'received'",
    ]);
    expect(failure.stdout).toBe('');
  });
});
