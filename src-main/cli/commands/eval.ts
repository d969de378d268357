// `vtc eval`: accuracy and prefill time of the full model and of each pruning method at each kept fraction, on a
// data.jsonl as `vtc synth` writes it. Answers count when they equal the expected one after normalising case,
// punctuation and spaces (src-shared/answer-match.ts). Progress goes to stderr, results to stdout.
import { PRUNING_METHODS, type PruningMethod } from '../../../src-shared/api';
import { evalConditions } from '../../eval/conditions';
import { readEvalData } from '../../eval/eval-data';
import { evalTable, progressPrinter, targetLines } from '../eval-report';
import { openEvalEngine, runEvaluation } from '../../eval/run-eval';
import { summarizeByType, summarizeOutcomes } from '../../eval/summarize';
import { checkTargets } from '../../eval/targets';
import { CliUsageError, intOption, parseOptions, requireOption } from '../args';
import { formatCount } from '../../../src-shared/format';
import { CROP_OPTIONS, ENGINE_OPTIONS, engineOptions, parseBudget, parseCrops, parsePositions, resolveModelDir } from '../engine-options';
import { parseMethod } from './compare';

export const summary =
  'accuracy, retention and prefill speedup per method and keep: --model DIR --data FILE [--methods full,vtc-cls,...] [--keep 0.5,0.25,0.11] [--positions original] [--per-tile-floor N] [--crops 0.5 [--crop-select downsample]] [--by-type] [--json]';

const DEFAULT_METHODS = ['full', ...PRUNING_METHODS].join(',');
const DEFAULT_KEEPS = '0.5,0.25,0.11';

const listItems = (text: string, option: string) => {
  const items = text.split(',').map((s) => s.trim());
  if (items.some((s) => s === '')) throw new CliUsageError(`--${option} is a comma-separated list without empty entries, got '${text}'`);
  return items;
};

/** `full,vtc-cls,random` → the pruning methods; `full` is accepted and always run, as the reference. */
export function parseMethodList(text: string): PruningMethod[] {
  return listItems(text, 'methods')
    .filter((m) => m !== 'full')
    .map(parseMethod);
}

export function parseKeepList(text: string): number[] {
  return listItems(text, 'keep').map((s) => {
    const budget = parseBudget(s);
    if (budget.kind !== 'ratio') throw new CliUsageError(`--keep takes fractions of the visual tokens such as 0.25, got '${s}'`);
    return budget.ratio;
  });
}

export async function run(argv: string[]): Promise<void> {
  const { values } = parseOptions(argv, {
    ...ENGINE_OPTIONS,
    data: { type: 'string' },
    methods: { type: 'string' },
    keep: { type: 'string' },
    'max-new-tokens': { type: 'string' },
    seed: { type: 'string' },
    'by-type': { type: 'boolean' },
    positions: { type: 'string' },
    'per-tile-floor': { type: 'string' },
    ...CROP_OPTIONS,
    json: { type: 'boolean' },
  });
  const model = await resolveModelDir(requireOption(values, 'model'));
  const data = requireOption(values, 'data');
  const conditions = evalConditions(parseMethodList(values.methods ?? DEFAULT_METHODS), parseKeepList(values.keep ?? DEFAULT_KEEPS));
  const maxNewTokens = intOption(values, 'max-new-tokens', 8, 1);
  const seed = intOption(values, 'seed', 0);
  const positions = parsePositions(values.positions);
  const perTileFloor = intOption(values, 'per-tile-floor', 0);
  const crops = parseCrops(values);
  const items = await readEvalData(data);

  const { engine, close } = await openEvalEngine(model, engineOptions(values));
  const runs = await runEvaluation(engine, items, conditions, {
    maxNewTokens,
    seed,
    positions,
    perTileFloor,
    crops,
    onProgress: progressPrinter(process.stderr),
  }).finally(close);
  const results = summarizeOutcomes(conditions, runs);
  const targets = checkTargets(results);
  const byType = values['by-type'] ? summarizeByType(conditions, runs) : undefined;

  if (values.json) {
    const perType = byType && Object.fromEntries(byType);
    console.log(
      JSON.stringify({
        model,
        data,
        questions: items.length,
        max_new_tokens: maxNewTokens,
        positions,
        per_tile_floor: perTileFloor,
        crops,
        results,
        targets,
        by_type: perType,
      }),
    );
    return;
  }
  console.log(
    `${formatCount(items.length, 'question')} from ${data}, model ${model}; greedy answers of at most ${formatCount(maxNewTokens, 'token')}; ${positions} positions` +
      (perTileFloor ? `; at least ${perTileFloor} per tile` : '') +
      (crops ? `; ${crops.fraction} of the crops by ${crops.select}` : ''),
  );
  console.log(evalTable(results));
  for (const [type, rows] of byType ?? []) {
    console.log(`\n${type} (${items.filter((i) => i.type === type).length} questions)\n${evalTable(rows)}`);
  }
  const lines = targetLines(targets);
  if (lines.length > 0) console.log(`\ntargets:\n${lines.join('\n')}`);
}
