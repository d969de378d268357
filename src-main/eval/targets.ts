// The product's accuracy and speed targets for VTC-CLS, checked against an evaluation's rows. A target whose
// rows were not measured (another method list or keep list) is left out rather than reported as missed.
import type { EvalResult } from './summarize';

export interface TargetOutcome {
  target: string;
  /** What was measured, as a person reads it. */
  measured: string;
  met: boolean;
}

const row = (results: readonly EvalResult[], method: string, keep: number) => results.find((r) => r.method === method && r.keep === keep);
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

export function checkTargets(results: readonly EvalResult[]): TargetOutcome[] {
  const out: TargetOutcome[] = [];
  const cls25 = row(results, 'vtc-cls', 0.25);
  const cls11 = row(results, 'vtc-cls', 0.11);
  const random11 = row(results, 'random', 0.11);
  if (cls25 && cls25.retention !== null) {
    out.push({
      target: 'vtc-cls at 25% of visual tokens retains >= 97% of full accuracy',
      measured: pct(cls25.retention),
      met: cls25.retention >= 0.97,
    });
  }
  if (cls11 && random11) {
    const lead = cls11.accuracy - random11.accuracy;
    // The epsilon keeps a lead of exactly ten points (0.5 - 0.4 = 0.0999...) on the right side of the line.
    out.push({
      target: 'vtc-cls at 11% beats random by >= 10 points',
      measured: `${(100 * lead).toFixed(1)} points`,
      met: lead >= 0.1 - 1e-9,
    });
  }
  if (cls25) {
    const ratio = 1 / cls25.speedup;
    out.push({ target: 'prefill at 25% kept <= 0.35x of full', measured: `${ratio.toFixed(2)}x`, met: ratio <= 0.35 });
  }
  return out;
}
