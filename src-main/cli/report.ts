// Human-readable lines for answers and timings, shared by ask, compare and bench.
import type { Answer } from '../../src-shared/api';

export const ms = (v: number) => `${v.toFixed(1)} ms`;

export function timingLine(a: Answer): string {
  const t = a.timings;
  return [
    `preprocess ${ms(t.preprocessMs)}`,
    `vision ${ms(t.visionMs)}${a.visionCached ? ' (cached)' : ''}`,
    `embed ${ms(t.embedMs)}`,
    `prefill ${ms(t.prefillMs)}`,
    `decode ${ms(t.decodeMs)} (${t.decodeTokens} tokens, ${t.tokensPerSecond.toFixed(1)} tok/s)`,
    `total ${ms(t.totalMs)}`,
  ].join(' | ');
}

export function countLine(a: Answer): string {
  const c = a.counts;
  return `visual tokens ${c.visualTokens} | prompt tokens ${c.promptTokens} | generated ${c.generatedTokens} | KV cache ${(c.kvCacheBytes / 1024).toFixed(1)} KiB`;
}
