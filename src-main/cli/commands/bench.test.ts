import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BenchReport } from '../../bench/bench-report';
import { photo } from '../../engine/test/paths';
import { runVtc, type VtcRun } from '../test/run-vtc';
import { formatBenchReport } from './bench';

const dataDir = mkdtempSync(join(tmpdir(), 'vtc-cli-bench-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('vtc bench', () => {
  let run: VtcRun;
  let report: BenchReport;
  beforeAll(async () => {
    run = await runVtc(
      [
        'bench',
        '--model',
        'tiny-smolvlm',
        '--image',
        photo('chelsea.png'),
        '--runs',
        '1',
        '--max-new-tokens',
        '3',
        '--keep',
        '0.5,0.25',
        '--json',
      ],
      dataDir,
    );
    report = JSON.parse(run.stdout) as BenchReport;
  }, 180_000);

  it('--json prints one object: both sides, each from its own process, with identical tokens', () => {
    expect(run.code).toBe(0);
    expect(run.stdout.trimEnd().split('\n')).toHaveLength(1);
    expect(report).toMatchObject({
      model: 'tiny-smolvlm',
      variant: 'fp32',
      runs: 1,
      max_new_tokens: 3,
      visual_tokens: 832,
      tokens_agree: true,
    });
    for (const side of [report.ours, report.reference]) {
      for (const value of Object.values(side)) expect(value).toBeGreaterThan(0);
    }
    // Peak memory is measured per process, so the two sides differ.
    expect(report.ours.peak_rss_bytes).not.toBe(report.reference.peak_rss_bytes);
  });

  it('measures the pruned budgets, the follow-up question and the first question after load', () => {
    expect(report.pruned.map((p) => [p.method, p.keep, p.kept_tokens])).toEqual([
      ['received', 0.5, 416],
      ['received', 0.25, 208],
    ]);
    for (const p of report.pruned) expect(p.prefill_ratio).toBeLessThan(1);
    // The follow-up's photo comes from the per-photo cache: no preprocessing or vision.
    expect(report.followup_ttft_ratio).toBeLessThan(1);
    for (const ratio of [report.ratio_total, report.cold_over_warm, report.instrumented_over_plain]) expect(ratio).toBeGreaterThan(0);
    // Some of a question is always outside onnxruntime (decoding the photo, tokenizing), never all of it.
    expect(report.outside_ort_fraction).toBeGreaterThan(0);
    expect(report.outside_ort_fraction).toBeLessThan(1);
  });

  it('prints the stage table and one line per comparison for people', () => {
    const text = formatBenchReport(report).split('\n');
    expect(text[0]).toBe(`tiny-smolvlm (fp32), ${photo('chelsea.png')}: 832 visual tokens, 3 new tokens, 1 run each, medians`);
    expect(
      text.filter((l) => /^((preprocess|vision|embed|prefill|first token|decode|total|processor time) \(|peak RSS )/.test(l)),
    ).toHaveLength(9);
    expect(text).toContain('generated tokens identical in every run: yes');
    expect(text.some((l) => /^received 0\.25 +208 /.test(l))).toBe(true);
  });
});
