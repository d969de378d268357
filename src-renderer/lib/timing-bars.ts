// Scales per-stage timings into bar segments. Both answers share one scale (the slower total), so
// the pruned bar is visibly shorter by exactly the time pruning saved.
import type { StageTimings } from '../../src-shared/api';

export const TIMING_STAGES = [
  { key: 'preprocessMs', label: 'Preprocess' },
  { key: 'visionMs', label: 'Vision' },
  { key: 'embedMs', label: 'Embed' },
  { key: 'prefillMs', label: 'Prefill' },
  { key: 'decodeMs', label: 'Decode' },
] as const;

export type TimingStage = (typeof TIMING_STAGES)[number]['key'];

export interface BarSegment {
  stage: TimingStage;
  label: string;
  ms: number;
  /** Width as a percentage of the shared scale. */
  percent: number;
}

export function timingBars(sides: StageTimings[]): BarSegment[][] {
  const totals = sides.map(stageSum);
  const scale = Math.max(0, ...totals);
  return sides.map((t) =>
    TIMING_STAGES.map(({ key, label }) => {
      const ms = nonNegative(t[key]);
      return { stage: key, label, ms, percent: scale > 0 ? (ms / scale) * 100 : 0 };
    }),
  );
}

/** How many times faster the pruned run was end to end; null when either time is missing or zero. */
export function speedup(full: StageTimings, pruned: StageTimings): number | null {
  if (!(full.totalMs > 0) || !(pruned.totalMs > 0)) return null;
  return full.totalMs / pruned.totalMs;
}

// The bars are drawn from the stages, so their sum (not totalMs, which may include glue time) sets the scale.
function stageSum(t: StageTimings): number {
  return TIMING_STAGES.reduce((sum, { key }) => sum + nonNegative(t[key]), 0);
}

function nonNegative(ms: number): number {
  return Number.isFinite(ms) && ms > 0 ? ms : 0;
}
