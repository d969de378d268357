// A synthetic VQA set on disk: out/images/NNNNNN.png, out/data.jsonl (one {"image","question","answer","type"}
// per line, image paths relative to out) and out/scenes.jsonl (the ground-truth scene of each image, which
// the fixture's training uses for its auxiliary [CLS] objective).
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createRng } from '../random/prng';
import { generateQuestions, type QuestionAnswer } from './questions';
import { renderScenePng } from './render';
import { sampleScene, type Scene } from './scene';

export interface SynthOptions {
  out: string;
  /** Number of scenes (images). */
  count: number;
  seed: number;
  /** Image side in pixels (DEFAULT_SCENE_SIZE when absent). */
  size?: number;
  questionsPerScene?: number;
  /** Crops per side: large scenes for tiling models (see sampleScene); absent for plain ones. */
  grid?: number;
}

export interface SynthSample {
  image: string;
  scene: Scene;
  questions: QuestionAnswer[];
}

/** The dataset's content without touching the disk: scene i always comes from the same seed. */
export function synthSamples(count: number, seed: number, size: number, questionsPerScene: number, grid?: number): SynthSample[] {
  const rng = createRng(seed);
  return Array.from({ length: count }, (_, i) => {
    const scene = sampleScene(rng, size, undefined, grid);
    return { image: `images/${String(i).padStart(6, '0')}.png`, scene, questions: generateQuestions(scene, rng, questionsPerScene) };
  });
}

/** The side the embedded tiny-llava fixture reads (128 px, 16x16 patches of 8 px), so its scenes need no resize. */
export const DEFAULT_SCENE_SIZE = 128;

// sharp works in libuv's pool; a few renders in flight keep it busy without queueing thousands of buffers.
const RENDERS_IN_FLIGHT = 8;

export async function writeSynthDataset(opts: SynthOptions): Promise<SynthSample[]> {
  const { out, count, seed, size = DEFAULT_SCENE_SIZE, questionsPerScene = 1, grid } = opts;
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`count must be an integer >= 1, got ${count}`);
  const samples = synthSamples(count, seed, size, questionsPerScene, grid);
  await mkdir(join(out, 'images'), { recursive: true });
  let next = 0;
  const worker = async () => {
    while (next < samples.length) {
      const s = samples[next++];
      await writeFile(join(out, s.image), await renderScenePng(s.scene));
    }
  };
  await Promise.all(Array.from({ length: RENDERS_IN_FLIGHT }, worker));
  const lines = samples.flatMap((s) => s.questions.map((qa) => JSON.stringify({ image: s.image, ...qa })));
  await writeFile(join(out, 'data.jsonl'), lines.join('\n') + '\n');
  await writeFile(join(out, 'scenes.jsonl'), samples.map((s) => JSON.stringify({ image: s.image, ...s.scene })).join('\n') + '\n');
  return samples;
}
