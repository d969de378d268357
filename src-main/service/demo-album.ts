// First run: a few synthetic scenes (the kind the embedded tiny-llava model was trained on) so the app
// answers questions offline before any real model is downloaded.
import path from 'node:path';
import { writeSynthDataset } from '../engine/synth/dataset';
import type { Library } from './library';

export const DEMO_SCENES = 6;
const DEMO_SEED = 20241207;

export async function seedDemoAlbum(library: Library, dataDir: string): Promise<void> {
  const out = path.join(dataDir, 'demo-album');
  const samples = await writeSynthDataset({ out, count: DEMO_SCENES, seed: DEMO_SEED });
  for (const [i, sample] of samples.entries()) {
    await library.importFile(path.join(out, sample.image), `Demo scene ${i + 1}.png`);
  }
}
