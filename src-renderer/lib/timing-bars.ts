// Scales a comparison's timings into bar segments. The photo's stages (reading, vision encoding) are one bar shown
// once; each side's bar holds only its own compute, and both side bars share one scale (the slower side), so the
// pruned bar is visibly shorter by exactly what pruning saved.
import type { StageTimings } from '../../src-shared/api';
import { nonNegative, sideMs } from '../../src-shared/side-timings';

export const PHOTO_STAGES = [
  { key: 'preprocessMs', label: 'Reading the photo' },
  { key: 'visionMs', label: 'Vision encoding' },
] as const;

export const SIDE_STAGES = [
  { key: 'embedMs', label: 'Prompt' },
  { key: 'prefillMs', label: 'Prefill' },
  { key: 'decodeMs', label: 'Decode' },
] as const;

type Stage = (typeof PHOTO_STAGES)[number] | (typeof SIDE_STAGES)[number];
export type TimingStage = Stage['key'];

export interface BarSegment {
  stage: TimingStage;
  label: string;
  ms: number;
  /** Width as a percentage of the bar's scale. */
  percent: number;
}

/** One bar per side, of its own stages, on the scale of the slower side. */
export function sideBars(sides: StageTimings[]): BarSegment[][] {
  const scale = Math.max(0, ...sides.map(sideMs));
  return sides.map((t) => segments(t, SIDE_STAGES, scale));
}

/** The photo's bar: its stages as parts of their own sum. */
export function photoBar(t: StageTimings): BarSegment[] {
  return segments(t, PHOTO_STAGES, nonNegative(t.preprocessMs) + nonNegative(t.visionMs));
}

function segments(t: StageTimings, stages: readonly Stage[], scale: number): BarSegment[] {
  return stages.map(({ key, label }) => {
    const ms = nonNegative(t[key]);
    return { stage: key, label, ms, percent: scale > 0 ? (ms / scale) * 100 : 0 };
  });
}
