// `vtc bench`: our engine and transformers.js on the same model, photo and question, measured side by side in
// one run (alternating, after a warm-up each), printed as medians per stage with the ratio. With --method it
// also measures the pruned answer against the full one. A benchmark, not a test: it asserts nothing.
import { loadReference } from '../../bench/transformersReference';
import { Samples } from '../../bench/stats';
import { formatTable } from '../table';
import { intOption, parseOptions, requireOption } from '../args';
import { ENGINE_OPTIONS, loadEngine, parseBudget, resolveModelDir } from '../engineOptions';
import { parseMethod } from './compare';

export const summary = 'engine vs transformers.js, medians per stage: --model DIR --image FILE --prompt TEXT [--runs N] [--method M --keep K] [--json]';

const STAGES = ['preprocess', 'vision', 'embed', 'first token', 'decode', 'total'] as const;

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
  const model = await resolveModelDir(requireOption(values, 'model'));
  const image = requireOption(values, 'image');
  const prompt = requireOption(values, 'prompt');
  const runs = intOption(values, 'runs', 5, 1);
  const maxNewTokens = intOption(values, 'max-new-tokens', 32, 1);
  const method = values.method === undefined ? undefined : parseMethod(values.method);
  const budget = parseBudget((values.keep as string | undefined) ?? '0.25');

  // The per-photo cache stays off: every run must encode the photo, like the reference does.
  const engine = await loadEngine({ ...values, model, 'cache-dir': undefined });
  const reference = await loadReference(model);
  const samples = new Samples();
  let tokensAgree = true;

  const runOurs = async (record: boolean) => {
    const a = await engine.ask({ image, prompt, maxNewTokens });
    const t = a.timings;
    const stages = [t.preprocessMs, t.visionMs, t.embedMs, t.visionMs + t.embedMs + t.prefillMs, t.decodeMs, t.totalMs];
    if (record) STAGES.forEach((s, i) => samples.add('ours', s, stages[i]));
    return a.tokens;
  };
  const runReference = async (record: boolean) => {
    const r = await reference.run(image, prompt, maxNewTokens, true);
    const t = r.timings;
    const stages = [t.preprocessMs, t.visionMs, t.embedMs, t.firstTokenMs, t.decodeMs, t.totalMs];
    if (record) STAGES.forEach((s, i) => samples.add('reference', s, stages[i]));
    return r.tokens;
  };
  const runPruned = async (record: boolean) => {
    if (!method) return;
    const c = await engine.compare({ image, prompt, maxNewTokens, method, budget });
    if (!record) return;
    samples.add('full', 'prefill', c.full.timings.prefillMs);
    samples.add('pruned', 'prefill', c.pruned.timings.prefillMs);
    samples.add('full', 'total', c.full.timings.totalMs);
    samples.add('pruned', 'total', c.pruned.timings.totalMs);
    samples.add('pruned', 'kept', c.pruned.kept.length);
    samples.add('full', 'visual', c.full.counts.visualTokens);
  };

  await runOurs(false);
  await runReference(false);
  await runPruned(false);
  for (let i = 0; i < runs; i++) {
    // Alternate who goes first so that slow drifts of a noisy machine fall on both sides.
    const [a, b] = i % 2 === 0 ? [runOurs, runReference] : [runReference, runOurs];
    const first = await a(true);
    const second = await b(true);
    tokensAgree &&= first.join(',') === second.join(',');
    await runPruned(true);
  }
  await engine.dispose();
  await reference.dispose();

  const rows = STAGES.map((s) => {
    const ours = samples.median('ours', s);
    const ref = samples.median('reference', s);
    return { stage: s, ours, reference: ref, ratio: ours / ref };
  });
  const pruning = method
    ? {
        method,
        kept: samples.median('pruned', 'kept'),
        visualTokens: samples.median('full', 'visual'),
        fullPrefillMs: samples.median('full', 'prefill'),
        prunedPrefillMs: samples.median('pruned', 'prefill'),
        prefillRatio: samples.median('pruned', 'prefill') / samples.median('full', 'prefill'),
        totalRatio: samples.median('pruned', 'total') / samples.median('full', 'total'),
      }
    : undefined;

  if (values.json) {
    console.log(JSON.stringify({ runs, stages: rows, tokensAgree, pruning }));
    return;
  }
  console.log(`${runs} runs each, medians (ms); ratio < 1 means our engine is faster`);
  console.log(
    formatTable(
      ['stage', 'ours', 'transformers.js', 'ratio'],
      rows.map((r) => [r.stage, r.ours.toFixed(1), r.reference.toFixed(1), `${r.ratio.toFixed(2)}x`]),
    ),
  );
  console.log(`generated tokens identical in every run: ${tokensAgree ? 'yes' : 'NO'}`);
  if (pruning) {
    console.log(
      `\n${pruning.method} keeping ${pruning.kept} of ${pruning.visualTokens} visual tokens: prefill ${pruning.prunedPrefillMs.toFixed(1)} vs ${pruning.fullPrefillMs.toFixed(1)} ms (${pruning.prefillRatio.toFixed(2)}x of full), end to end ${pruning.totalRatio.toFixed(2)}x of full`,
    );
  }
}
