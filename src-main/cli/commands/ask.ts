// `vtc ask`: one question about one photo with all visual tokens, streamed, then the timings.
import { intOption, parseOptions, requireOption } from '../args';
import { ENGINE_OPTIONS, loadEngine, parseCrops, QUESTION_OPTIONS, samplingOptions, warnIfRandomWeights } from '../engine-options';
import { countLine, timingLine } from '../report';

export const summary =
  'answer a question about a photo: --model DIR --image FILE --prompt TEXT [--max-new-tokens N] [--crops 0.5] [--ep cpu] [--json]';

export async function run(argv: string[]): Promise<void> {
  const { values } = parseOptions(argv, { ...ENGINE_OPTIONS, ...QUESTION_OPTIONS });
  const image = requireOption(values, 'image');
  const prompt = requireOption(values, 'prompt');
  // Every option is checked before the model loads: a typo should cost nothing.
  const maxNewTokens = intOption(values, 'max-new-tokens', 64, 1);
  const sampling = samplingOptions(values);
  const crops = parseCrops(values);
  const json = values.json === true;
  const engine = await loadEngine(values);
  const answer = await engine.ask({
    image,
    prompt,
    maxNewTokens,
    sampling,
    crops,
    onToken: json ? undefined : (text) => process.stdout.write(text),
  });
  await engine.dispose();
  warnIfRandomWeights(engine);
  if (json) {
    console.log(JSON.stringify({ text: answer.text, tokens: answer.tokens, timings: answer.timings, counts: answer.counts }));
  } else {
    process.stdout.write('\n\n');
    console.log(timingLine(answer));
    console.log(countLine(answer));
  }
}
