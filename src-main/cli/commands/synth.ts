// `vtc synth`: write a synthetic VQA set (shapes on backgrounds) for training and evaluating the fixtures.
import { DEFAULT_SCENE_SIZE, writeSynthDataset } from '../../engine/synth/dataset';
import { MIN_GRID, MIN_SCENE_SIZE } from '../../engine/synth/scene';
import { intOption, parseOptions, requireOption } from '../args';

export const summary = 'write synthetic scenes + questions: --out DIR --count N [--seed S] [--size PX] [--questions Q] [--grid N]';

export async function run(argv: string[]): Promise<void> {
  const { values } = parseOptions(argv, {
    out: { type: 'string' },
    count: { type: 'string' },
    seed: { type: 'string' },
    size: { type: 'string' },
    questions: { type: 'string' },
    grid: { type: 'string' },
  });
  const out = requireOption(values, 'out');
  requireOption(values, 'count');
  const started = Date.now();
  const samples = await writeSynthDataset({
    out,
    count: intOption(values, 'count', 1, 1),
    seed: intOption(values, 'seed', 0),
    size: intOption(values, 'size', DEFAULT_SCENE_SIZE, MIN_SCENE_SIZE),
    questionsPerScene: intOption(values, 'questions', 1, 1),
    // Large scenes for tiling models (SmolVLM): objects spread over grid x grid crops, region questions.
    grid: values.grid === undefined ? undefined : intOption(values, 'grid', 0, MIN_GRID),
  });
  const qa = samples.reduce((n, s) => n + s.questions.length, 0);
  console.log(`wrote ${samples.length} images and ${qa} questions to ${out} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
