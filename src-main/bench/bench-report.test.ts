import { describe, expect, it } from 'vitest';
import { benchReport, type BenchSamples } from './bench-report';
import type { BenchTimings, SideAnswer } from './bench-side';

const timings = (over: Partial<BenchTimings>): BenchTimings => ({
  preprocessMs: 10,
  visionMs: 100,
  embedMs: 5,
  prefillMs: 50,
  firstTokenMs: 165,
  decodeMs: 200,
  decodeTokens: 10,
  totalMs: 365,
  cpuMs: 600,
  ...over,
});
const answer = (over: Partial<BenchTimings>, tokens = [1, 2, 3], visualTokens = 832): SideAnswer => ({
  timings: timings(over),
  tokens,
  visualTokens,
});

const samples = (): BenchSamples => ({
  model: 'm',
  variant: 'fp32',
  photo: 'p.png',
  maxNewTokens: 11,
  cold: answer({ totalMs: 730 }),
  ours: [
    answer({ totalMs: 300, askMs: 310, ortMs: 279 }),
    answer({ totalMs: 365, visionMs: 90, askMs: 400, ortMs: 380 }),
    answer({ totalMs: 400, askMs: 410, ortMs: 328 }),
  ],
  reference: [answer({ totalMs: 700 }), answer({ totalMs: 730, decodeMs: 500, cpuMs: 1200 }), answer({ totalMs: 800, cpuMs: 1300 })],
  followups: [answer({ firstTokenMs: 33 }), answer({ firstTokenMs: 16.5 }), answer({ firstTokenMs: 10 })],
  pruned: [
    { method: 'received', keep: 0.5, answers: [answer({ prefillMs: 25, totalMs: 292, visionMs: 110 }, [1], 416)] },
    { method: 'received', keep: 0.25, answers: [answer({ prefillMs: 10, totalMs: 219, visionMs: 120 }, [1], 208)] },
  ],
  peakRssBytes: { ours: 3e9, reference: 4e9 },
});

describe('benchReport', () => {
  it('gives each side its medians and the ratios the targets are stated in', () => {
    const r = benchReport(samples());
    expect(r.ours).toEqual({
      preprocess_ms: 10,
      vision_ms: 100,
      embed_ms: 5,
      prefill_ms: 50,
      first_token_ms: 165,
      decode_tokens_per_s: 50,
      total_ms: 365,
      total_cpu_ms: 600,
      peak_rss_bytes: 3e9,
    });
    expect(r.reference).toMatchObject({ total_ms: 730, decode_tokens_per_s: 50, peak_rss_bytes: 4e9 });
    expect(r).toMatchObject({
      model: 'm',
      variant: 'fp32',
      photo: 'p.png',
      runs: 3,
      max_new_tokens: 11,
      visual_tokens: 832,
      tokens_agree: true,
    });
    expect(r.ratio_total).toBe(0.5);
    expect(r.ratio_total_cpu).toBe(0.5);
    expect(r.pruned).toEqual([
      { method: 'received', keep: 0.5, kept_tokens: 416, prefill_ratio: 0.5, total_ratio: 0.8, vision_ms: 110 },
      { method: 'received', keep: 0.25, kept_tokens: 208, prefill_ratio: 0.2, total_ratio: 0.6, vision_ms: 120 },
    ]);
    expect(r.followup_ttft_ratio).toBe(0.1);
    expect(r.cold_over_warm).toBe(2);
    // Pruned vision 110 and 120 (median 115) against plain 100.
    expect(r.instrumented_over_plain).toBeCloseTo(1.15, 10);
    // Outside onnxruntime: 31/310, 20/400, 82/410 of each question's wall time.
    expect(r.outside_ort_fraction).toBeCloseTo(0.1, 10);
  });

  it('says when the sides generated different tokens in any run', () => {
    const s = samples();
    s.reference[1] = { ...s.reference[1], tokens: [1, 2, 4] };
    expect(benchReport(s).tokens_agree).toBe(false);
  });

  it('has at least the keys the issue asks of `vtc bench --json`', () => {
    const r = benchReport(samples()) as unknown as Record<string, unknown>;
    for (const key of [
      'model',
      'photo',
      'runs',
      'ours',
      'reference',
      'ratio_total',
      'pruned',
      'followup_ttft_ratio',
      'cold_over_warm',
      'instrumented_over_plain',
      'outside_ort_fraction',
    ]) {
      expect(r).toHaveProperty(key);
    }
    for (const side of ['ours', 'reference']) {
      expect(Object.keys(r[side] as object)).toEqual(
        expect.arrayContaining(['preprocess_ms', 'vision_ms', 'prefill_ms', 'decode_tokens_per_s', 'total_ms', 'peak_rss_bytes']),
      );
    }
    expect(Object.keys((r.pruned as object[])[0])).toEqual(expect.arrayContaining(['method', 'keep', 'prefill_ratio', 'total_ratio']));
  });
});
