// `vtc compare`: the same question answered with all visual tokens and with a pruned set, side by side.
import { PRUNING_METHODS, type PruningMethod } from '../../../src-shared/api';
import { CliUsageError, intOption, parseOptions, requireOption } from '../args';
import {
  ENGINE_OPTIONS,
  loadEngine,
  parseBudget,
  parseCrops,
  parsePositions,
  QUESTION_OPTIONS,
  samplingOptions,
  warnIfRandomWeights,
} from '../engine-options';
import { formatSpeed } from '../../../src-shared/format';
import { sideMs } from '../../../src-shared/side-timings';
import { countLine, photoLine, sideLine } from '../report';

export const summary =
  'full vs pruned answer: --model DIR --image FILE --prompt TEXT --method vtc-cls --keep 0.25 [--positions original] [--crops 0.5 [--crop-select downsample]] [--json]';

export function parseMethod(text: string): PruningMethod {
  if (!(PRUNING_METHODS as readonly string[]).includes(text)) {
    throw new CliUsageError(`unknown method '${text}' (known: ${PRUNING_METHODS.join(', ')})`);
  }
  return text as PruningMethod;
}

export async function run(argv: string[]): Promise<void> {
  const { values } = parseOptions(argv, {
    ...ENGINE_OPTIONS,
    ...QUESTION_OPTIONS,
    method: { type: 'string' },
    keep: { type: 'string' },
    positions: { type: 'string' },
    'per-tile-floor': { type: 'string' },
  });
  const image = requireOption(values, 'image');
  const prompt = requireOption(values, 'prompt');
  const method = parseMethod(requireOption(values, 'method'));
  const budget = parseBudget(requireOption(values, 'keep'));
  const positions = parsePositions(values.positions);
  // Every option is checked before the model loads: a typo should cost nothing.
  const perTileFloor = intOption(values, 'per-tile-floor', 0);
  const maxNewTokens = intOption(values, 'max-new-tokens', 64, 1);
  const sampling = samplingOptions(values);
  const crops = parseCrops(values);
  const json = values.json === true;
  const engine = await loadEngine(values);
  let side: string | undefined;
  const result = await engine.compare({
    image,
    prompt,
    method,
    budget,
    positions,
    perTileFloor,
    maxNewTokens,
    sampling,
    crops,
    onToken: json
      ? undefined
      : (s, text) => {
          if (s !== side) process.stdout.write(`${side ? '\n\n' : ''}[${s}] `);
          side = s;
          process.stdout.write(text);
        },
  });
  await engine.dispose();
  warnIfRandomWeights(engine);
  if (json) {
    console.log(JSON.stringify(result));
    return;
  }
  const { full, pruned } = result;
  process.stdout.write('\n\n');
  console.log(`photo:  ${photoLine(full)}`);
  console.log(`full:   ${sideLine(full)}\n        ${countLine(full)}`);
  console.log(`pruned: ${sideLine(pruned)}\n        ${countLine(pruned)}`);
  const speed = formatSpeed(sideMs(full.timings), sideMs(pruned.timings), 'full') ?? 'not timed';
  const prefill = formatSpeed(full.timings.prefillMs, pruned.timings.prefillMs, 'full') ?? 'not timed';
  // One score per prunable token: separators (Phi-3-vision's newlines) are among the visual tokens but never pruned.
  console.log(
    `${method} kept ${pruned.kept.length} of ${result.scores.length} prunable visual tokens | pruned ${speed} | prefill ${prefill} | answers ${full.text === pruned.text ? 'agree' : 'differ'}`,
  );
}
