// What `vtc bench` reports, from the answers it collected: medians per stage for each side, and the ratios the
// performance targets are stated in. Pure: samples in, one JSON-ready object out (the CLI prints it or its tables).
import type { PruningMethod } from '../../src-shared/api';
import type { BenchTimings, SideAnswer } from './bench-side';
import { median } from './stats';

export interface SideSummary {
  preprocess_ms: number;
  vision_ms: number;
  embed_ms: number;
  prefill_ms: number;
  first_token_ms: number;
  decode_tokens_per_s: number;
  total_ms: number;
  /** Processor time of the side's process per question (all threads). */
  total_cpu_ms: number;
  peak_rss_bytes: number;
}

export interface BenchReport {
  model: string;
  variant: string;
  photo: string;
  runs: number;
  max_new_tokens: number;
  visual_tokens: number;
  ours: SideSummary;
  reference: SideSummary;
  /** ours / reference, end to end. */
  ratio_total: number;
  /** ours / reference, processor time per question. */
  ratio_total_cpu: number;
  /** Generated tokens identical between the sides in every run. */
  tokens_agree: boolean;
  /** Against our full path, end to end and prefill. */
  pruned: { method: PruningMethod; keep: number; kept_tokens: number; prefill_ratio: number; total_ratio: number; vision_ms: number }[];
  /** Time to first token of a follow-up question on the same photo / of the first question. */
  followup_ttft_ratio: number;
  /** First question after load / warm median, end to end. */
  cold_over_warm: number;
  /** Vision with the attention signal (the pruned runs) / the plain encoder (the full runs). */
  instrumented_over_plain: number;
  /** Our full questions: the share of their wall time spent outside onnxruntime's run calls (median). */
  outside_ort_fraction: number;
}

export interface BenchSamples {
  model: string;
  variant: string;
  photo: string;
  maxNewTokens: number;
  /** Our first question after the engine loaded. */
  cold: SideAnswer;
  ours: SideAnswer[];
  reference: SideAnswer[];
  followups: SideAnswer[];
  pruned: { method: PruningMethod; keep: number; answers: SideAnswer[] }[];
  peakRssBytes: { ours: number; reference: number };
}

const stage = (answers: SideAnswer[], pick: (t: BenchTimings) => number) => median(answers.map((a) => pick(a.timings)));

function summary(answers: SideAnswer[], peakRssBytes: number): SideSummary {
  return {
    preprocess_ms: stage(answers, (t) => t.preprocessMs),
    vision_ms: stage(answers, (t) => t.visionMs),
    embed_ms: stage(answers, (t) => t.embedMs),
    prefill_ms: stage(answers, (t) => t.prefillMs),
    first_token_ms: stage(answers, (t) => t.firstTokenMs),
    decode_tokens_per_s: stage(answers, (t) => (t.decodeMs > 0 ? (t.decodeTokens * 1000) / t.decodeMs : 0)),
    total_ms: stage(answers, (t) => t.totalMs),
    total_cpu_ms: stage(answers, (t) => t.cpuMs ?? NaN),
    peak_rss_bytes: peakRssBytes,
  };
}

export function benchReport(s: BenchSamples): BenchReport {
  const ours = summary(s.ours, s.peakRssBytes.ours);
  const reference = summary(s.reference, s.peakRssBytes.reference);
  const pruned = s.pruned.map(({ method, keep, answers }) => ({
    method,
    keep,
    kept_tokens: median(answers.map((a) => a.visualTokens)),
    prefill_ratio: stage(answers, (t) => t.prefillMs) / ours.prefill_ms,
    total_ratio: stage(answers, (t) => t.totalMs) / ours.total_ms,
    vision_ms: stage(answers, (t) => t.visionMs),
  }));
  const instrumentedVision = median(s.pruned.flatMap((p) => p.answers.map((a) => a.timings.visionMs)));
  return {
    model: s.model,
    variant: s.variant,
    photo: s.photo,
    runs: s.ours.length,
    max_new_tokens: s.maxNewTokens,
    visual_tokens: median(s.ours.map((a) => a.visualTokens)),
    ours,
    reference,
    ratio_total: ours.total_ms / reference.total_ms,
    ratio_total_cpu: ours.total_cpu_ms / reference.total_cpu_ms,
    tokens_agree: s.ours.every((a, i) => s.reference[i] !== undefined && a.tokens.join(',') === s.reference[i].tokens.join(',')),
    pruned,
    followup_ttft_ratio: stage(s.followups, (t) => t.firstTokenMs) / ours.first_token_ms,
    cold_over_warm: s.cold.timings.totalMs / ours.total_ms,
    instrumented_over_plain: instrumentedVision / ours.vision_ms,
    outside_ort_fraction: stage(s.ours, (t) => (t.askMs !== undefined && t.ortMs !== undefined ? 1 - t.ortMs / t.askMs : NaN)),
  };
}
