// Small statistics for benchmarks: medians over runs, ratios of two medians.

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Collects named samples for several series (e.g. "ours" and "reference"), one value per stage per run. */
export class Samples {
  private readonly data = new Map<string, Map<string, number[]>>();

  add(series: string, stage: string, value: number): void {
    if (!this.data.has(series)) this.data.set(series, new Map());
    const stages = this.data.get(series)!;
    if (!stages.has(stage)) stages.set(stage, []);
    stages.get(stage)!.push(value);
  }

  median(series: string, stage: string): number {
    return median(this.data.get(series)?.get(stage) ?? []);
  }
}
