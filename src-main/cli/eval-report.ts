// How `vtc eval` shows its results to a person: one table row per condition, the targets, a progress line.
import { formatSpeed } from '../../src-shared/format';
import { formatTable } from './table';
import type { EvalProgress } from '../eval/run-eval';
import type { EvalResult } from '../eval/summarize';
import type { TargetOutcome } from '../eval/targets';

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

export function evalTable(results: readonly EvalResult[]): string {
  return formatTable(
    ['method', 'keep', 'visual tokens', 'accuracy', 'retention', 'prefill ms', 'rank ms', 'rank + prefill against full'],
    results.map((r) => [
      r.method,
      r.keep.toFixed(2),
      r.visual_tokens.toFixed(1),
      pct(r.accuracy),
      r.retention === null ? '-' : pct(r.retention),
      r.prefill_ms.toFixed(2),
      r.rank_ms.toFixed(2),
      // speedup is full's prefill over this condition's ranking and prefill.
      formatSpeed(r.speedup, 1) ?? '-',
    ]),
  );
}

export function targetLines(targets: readonly TargetOutcome[]): string[] {
  return targets.map((t) => `${t.met ? 'met   ' : 'MISSED'}  ${t.target}: ${t.measured}`);
}

export function progressLine(p: EvalProgress): string {
  const left = p.done > 0 ? (p.elapsedMs / p.done) * (p.total - p.done) : NaN;
  return [
    `eval ${p.done}/${p.total} questions`,
    `full correct ${p.fullCorrect} (${pct(p.done > 0 ? p.fullCorrect / p.done : 0)})`,
    `${formatDuration(p.elapsedMs)} elapsed${p.done < p.total ? `, about ${formatDuration(left)} left` : ''}`,
  ].join(' | ');
}

/**
 * Writes progress lines to a stream: on a terminal one line rewritten in place (ended when the last question is
 * done), elsewhere a plain line every 5% of the questions, so a log file stays short.
 */
export function progressPrinter(out: { isTTY?: boolean; write(text: string): unknown }): (p: EvalProgress) => void {
  let lastStep = 0;
  return (p) => {
    if (out.isTTY) {
      out.write(`\r\x1b[K${progressLine(p)}${p.done === p.total ? '\n' : ''}`);
      return;
    }
    const step = Math.floor((20 * p.done) / p.total);
    if (step > lastStep || p.done === p.total) {
      lastStep = step;
      out.write(`${progressLine(p)}\n`);
    }
  };
}
