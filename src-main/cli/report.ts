// Human-readable lines for answers and timings, shared by ask, compare and bench. Units and speed phrases come
// from src-shared/format, so the CLI and the app say the same thing the same way.
import type { Answer, StageTimings } from '../../src-shared/api';
import { formatBytes, formatCount } from '../../src-shared/format';
import { firstTokenMs, sideMs } from '../../src-shared/side-timings';

export const ms = (v: number) => `${v.toFixed(1)} ms`;

const decodePart = (t: StageTimings) =>
  `decode ${ms(t.decodeMs)} (${formatCount(t.decodeTokens, 'token')}, ${t.tokensPerSecond.toFixed(1)} tok/s)`;

/** Every stage of a single answer, photo stages included (`vtc ask`). */
export function timingLine(a: Answer): string {
  const t = a.timings;
  return [
    `preprocess ${ms(t.preprocessMs)}`,
    `vision ${ms(t.visionMs)}${a.visionCached ? ' (cached)' : ''}`,
    `embed ${ms(t.embedMs)}`,
    `prefill ${ms(t.prefillMs)}`,
    decodePart(t),
    `total ${ms(t.totalMs)}`,
  ].join(' | ');
}

/** The photo's stages of a comparison: done once, shared by both sides. */
export function photoLine(a: Answer): string {
  const t = a.timings;
  return `preprocess ${ms(t.preprocessMs)} | vision ${ms(t.visionMs)}${a.visionCached ? ' (cached)' : ''} | once, shared by both sides`;
}

/** One side of a comparison: its own compute only. */
export function sideLine(a: Answer): string {
  const t = a.timings;
  return [
    `first token ${ms(firstTokenMs(t))}`,
    `embed ${ms(t.embedMs)}`,
    `prefill ${ms(t.prefillMs)}`,
    decodePart(t),
    `own total ${ms(sideMs(t))}`,
  ].join(' | ');
}

export function countLine(a: Answer): string {
  const c = a.counts;
  return `visual tokens ${c.visualTokens} | prompt tokens ${c.promptTokens} | generated ${c.generatedTokens} | KV cache ${formatBytes(c.kvCacheBytes)}`;
}
