// `vtc bench`: our engine and transformers.js on the same model, variant, photo and question, each side in its own
// process (so each peak memory is its own), questions alternating between the sides after a warm-up, reported as
// medians per stage with the ratios. Then the follow-up question, the pruned answers at several budgets, and the
// first question after load. Every answer makes exactly --max-new-tokens tokens (eos ignored), so random-weight
// models give the same work every run. A benchmark, not a test: it asserts nothing.
import { join } from 'node:path';
import { BENCHMARK_MODELS, isBuilt } from '../../engine/catalog/benchmark-models';
import { modelsRoot, userDataDir } from '../../engine/catalog/data-dir';
import { benchReport, type BenchReport, type BenchSamples } from '../../bench/bench-report';
import { startSide, type SideAnswer, type SideQuestion } from '../../bench/bench-side';
import { ensureBenchmarkModel } from '../../bench/build-benchmark-model';
import { CliUsageError, intOption, parseOptions, requireOption } from '../args';
import { ENGINE_OPTIONS, engineOptions, parseBudget, resolveModelDir } from '../engine-options';
import { formatBytes, formatCount, formatSpeed } from '../../../src-shared/format';
import { formatTable } from '../table';
import { parseMethod } from './compare';

export const summary =
  'engine vs transformers.js, medians per stage: --model ID|DIR --image FILE [--prompt TEXT] [--runs N] [--method M] [--keep 0.5,0.25,0.11] [--json]';

const DEFAULT_PROMPT = 'What is in this photo?';
const FOLLOW_UP = 'Which colours stand out?';

/** A benchmark model's id builds it first (progress on stderr); anything else is resolved as for every command. */
async function benchModelDir(model: string): Promise<string> {
  const benchmark = BENCHMARK_MODELS.find((m) => m.id === model);
  if (!benchmark) return resolveModelDir(model);
  if (!isBuilt(join(modelsRoot(userDataDir()), benchmark.id))) {
    console.error(`building ${benchmark.id} (${benchmark.name}) into ${modelsRoot(userDataDir())}, a few minutes:`);
  }
  return ensureBenchmarkModel(benchmark, { onProgress: (line) => console.error(`  ${line}`) });
}

function parseKeeps(text: string): number[] {
  return text.split(',').map((part) => {
    const budget = parseBudget(part.trim());
    if (budget.kind !== 'ratio') throw new CliUsageError(`--keep takes fractions like 0.5,0.25,0.11, got '${part}'`);
    return budget.ratio;
  });
}

export async function run(argv: string[]): Promise<void> {
  const { values } = parseOptions(argv, {
    ...ENGINE_OPTIONS,
    image: { type: 'string' },
    prompt: { type: 'string' },
    runs: { type: 'string' },
    'max-new-tokens': { type: 'string' },
    method: { type: 'string' },
    keep: { type: 'string' },
    json: { type: 'boolean' },
  });
  const model = requireOption(values, 'model');
  const image = requireOption(values, 'image');
  const prompt = (values.prompt as string | undefined) ?? DEFAULT_PROMPT;
  const runs = intOption(values, 'runs', 3, 1);
  const maxNewTokens = intOption(values, 'max-new-tokens', 32, 1);
  const method = parseMethod((values.method as string | undefined) ?? 'received');
  const keeps = parseKeeps((values.keep as string | undefined) ?? '0.5,0.25,0.11');
  // Both sides must run the same files: fp32 unless asked, since transformers.js picks no variant by size.
  const variant = (values.variant as string | undefined) ?? 'fp32';
  const options = { ...engineOptions({ ...values, variant }), cacheDir: undefined };
  const progress = (text: string) => values.json || console.error(text);

  const modelDir = await benchModelDir(model);
  progress(`loading ${model} (${variant}) in two processes: ours and transformers.js`);
  const [ours, reference] = await Promise.all([startSide('ours', modelDir, options), startSide('reference', modelDir, options)]);
  try {
    const question = (extra: Partial<SideQuestion> = {}): SideQuestion => ({ image, prompt, maxNewTokens, fresh: true, ...extra });
    const samples: BenchSamples = {
      model,
      variant,
      photo: image,
      maxNewTokens,
      cold: await ours.ask(question()),
      ours: [],
      reference: [],
      followups: [],
      pruned: keeps.map((keep) => ({ method, keep, answers: [] as SideAnswer[] })),
      peakRssBytes: { ours: 0, reference: 0 },
    };
    await reference.ask(question());
    for (let i = 0; i < runs; i++) {
      progress(`run ${i + 1}/${runs}: full answers, ours and transformers.js, then a follow-up question`);
      // Alternate who goes first so that slow drifts of a noisy machine fall on both sides.
      const order = i % 2 === 0 ? (['ours', 'reference'] as const) : (['reference', 'ours'] as const);
      for (const side of order) samples[side].push(await (side === 'ours' ? ours : reference).ask(question()));
      samples.followups.push(await ours.ask(question({ prompt: FOLLOW_UP, fresh: false })));
    }
    // The pruned runs read attention: their first one opens the instrumented encoder, so it is a warm-up.
    await ours.ask(question({ pruning: { method, budget: { kind: 'ratio', ratio: keeps[0] } } }));
    for (let i = 0; i < runs; i++) {
      progress(`run ${i + 1}/${runs}: ${method} at ${keeps.join(', ')}`);
      for (const pruned of samples.pruned)
        pruned.answers.push(await ours.ask(question({ pruning: { method, budget: { kind: 'ratio', ratio: pruned.keep } } })));
    }
    samples.peakRssBytes = { ours: await ours.peakRssBytes(), reference: await reference.peakRssBytes() };
    const report = benchReport(samples);
    console.log(values.json ? JSON.stringify(report) : formatBenchReport(report));
  } finally {
    await Promise.all([ours.close(), reference.close()]);
  }
}

const ms = (v: number) => v.toFixed(1);
const ratio = (v: number) => `${v.toFixed(2)}x`;
/** A ratio of times (ours / base) in the app's words, the base named by the column or the line. */
const speed = (timeRatio: number, baseName?: string) => formatSpeed(1, timeRatio, baseName) ?? '–';

/** The human form: the stage table, then one line per comparison. */
export function formatBenchReport(r: BenchReport): string {
  // Each row: its name, both values, how to print one, and how ours compares (speed for times, a ratio for memory).
  const time = (a: number, b: number) => speed(a / b);
  const rows: [string, number, number, (v: number) => string, (a: number, b: number) => string][] = [
    ['preprocess (ms)', r.ours.preprocess_ms, r.reference.preprocess_ms, ms, time],
    ['vision (ms)', r.ours.vision_ms, r.reference.vision_ms, ms, time],
    ['embed (ms)', r.ours.embed_ms, r.reference.embed_ms, ms, time],
    ['prefill (ms)', r.ours.prefill_ms, r.reference.prefill_ms, ms, time],
    ['first token (ms)', r.ours.first_token_ms, r.reference.first_token_ms, ms, time],
    ['decode (tokens/s)', r.ours.decode_tokens_per_s, r.reference.decode_tokens_per_s, (v) => v.toFixed(2), (a, b) => speed(b / a)],
    ['total (ms)', r.ours.total_ms, r.reference.total_ms, ms, time],
    ['processor time (ms)', r.ours.total_cpu_ms, r.reference.total_cpu_ms, ms, time],
    ['peak RSS', r.ours.peak_rss_bytes, r.reference.peak_rss_bytes, formatBytes, (a, b) => `${ratio(a / b)} the memory`],
  ];
  const lines = [
    `${r.model} (${r.variant}), ${r.photo}: ${formatCount(r.visual_tokens, 'visual token')}, ${formatCount(r.max_new_tokens, 'new token')}, ${formatCount(r.runs, 'run')} each, medians`,
    formatTable(
      ['stage', 'ours', 'transformers.js', 'ours against transformers.js'],
      rows.map(([name, a, b, format, compare]) => [name, format(a), format(b), compare(a, b)]),
    ),
    `generated tokens identical in every run: ${r.tokens_agree ? 'yes' : 'NO'}`,
    '',
    formatTable(
      ['pruned', 'kept', 'vision (ms)', 'prefill against full', 'end to end against full'],
      r.pruned.map((p) => [`${p.method} ${p.keep}`, String(p.kept_tokens), ms(p.vision_ms), speed(p.prefill_ratio), speed(p.total_ratio)]),
    ),
    '',
    // The exact ratio follows each phrase: the targets are set to two decimals.
    `vision with the attention signal: ${speed(r.instrumented_over_plain, 'the plain encoder')} (${ratio(r.instrumented_over_plain)} its time)`,
    `follow-up question's time to first token: ${speed(r.followup_ttft_ratio, "the first question's")} (${ratio(r.followup_ttft_ratio)} its time)`,
    `first question after load: ${speed(r.cold_over_warm, 'a warm one')} (${ratio(r.cold_over_warm)} its time)`,
    `our time outside onnxruntime's run calls: ${(r.outside_ort_fraction * 100).toFixed(1)}% of a full question`,
  ];
  return lines.join('\n');
}
