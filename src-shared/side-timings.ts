// What each side of a comparison really cost. Both answers share one reading and one vision encoding of the photo
// (or none, when the per-photo cache had it), so those stages belong to the photo and are shown once; a side's own
// compute is what differs between full and pruned: building its prompt, prefill and decode. Speed ratios are taken
// over that, the one convention in the app, batch and CLI.
import type { StageTimings } from './api';

/** Reading the photo and encoding it: done once for both sides of a question. */
export function photoMs(t: StageTimings): number {
  return nonNegative(t.preprocessMs) + nonNegative(t.visionMs);
}

/** One side's own compute: its prompt's embedding, prefill and decode. */
export function sideMs(t: StageTimings): number {
  return nonNegative(t.embedMs) + nonNegative(t.prefillMs) + nonNegative(t.decodeMs);
}

/** Time to the side's first token, from the start of its own work (embedding its prompt, then prefill). */
export function firstTokenMs(t: StageTimings): number {
  return nonNegative(t.embedMs) + nonNegative(t.prefillMs);
}

/** A stage's time as drawn and summed: a negative or non-finite reading counts as zero. */
export function nonNegative(ms: number): number {
  return Number.isFinite(ms) && ms > 0 ? ms : 0;
}
