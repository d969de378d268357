// The demo album: a few synthetic scenes (the kind the embedded tiny-llava model was trained on) so the app
// answers questions offline before any real model is downloaded. Each scene comes with questions and their true
// answers from `vtc synth` (data.jsonl beside the images): they are the suggested questions on an empty chat, and
// an answer to one of them is marked correct or wrong against the truth.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Photo } from '../../src-shared/api';
import { normalizeAnswer } from '../../src-shared/answer-match';
import { writeSynthDataset } from '../engine/synth/dataset';
import type { QuestionAnswer } from '../engine/synth/questions';
import type { Library } from './library';

export const DEMO_SCENES = 6;
const DEMO_SEED = 20241207;
/** Questions kept per scene: the chips an empty chat suggests. */
const QUESTIONS_PER_SCENE = 3;

export class DemoAlbum {
  /** Questions by the absolute path of their scene's image; read from data.jsonl once, after each write. */
  private truths: Promise<Map<string, QuestionAnswer[]>> | undefined;

  constructor(
    private readonly library: Library,
    private readonly dataDir: string,
  ) {}

  private get folder(): string {
    return path.join(this.dataDir, 'demo-album');
  }

  /**
   * Writes the scenes (the same ones every time: the seed is fixed) and adds those the library lacks; the rest
   * stay as they are, chats included. First run and "Restore demo album" alike.
   */
  async restore(): Promise<Photo[]> {
    const samples = await writeSynthDataset({
      out: this.folder,
      count: DEMO_SCENES,
      seed: DEMO_SEED,
      questionsPerScene: QUESTIONS_PER_SCENE,
    });
    this.truths = undefined;
    const present = new Set(this.library.list('').map((p) => p.path));
    const added: Photo[] = [];
    for (const [i, sample] of samples.entries()) {
      const file = path.join(this.folder, sample.image);
      if (!present.has(file)) added.push(await this.library.importFile(file, `Demo scene ${i + 1}.png`));
    }
    return added;
  }

  /** The questions about this photo that have a known true answer: none for a photo outside the demo album. */
  async questions(photo: Photo): Promise<QuestionAnswer[]> {
    this.truths ??= this.readTruths();
    return (await this.truths).get(photo.path) ?? [];
  }

  /** The true answer to this question about this photo, when it is one of the demo album's. */
  async expected(photo: Photo, question: string): Promise<string | undefined> {
    const asked = normalizeAnswer(question);
    return (await this.questions(photo)).find((qa) => normalizeAnswer(qa.question) === asked)?.answer;
  }

  /** data.jsonl as `vtc synth` writes it; a missing or damaged file means no truths, never a failed question. */
  private async readTruths(): Promise<Map<string, QuestionAnswer[]>> {
    const byImage = new Map<string, QuestionAnswer[]>();
    const text = await readFile(path.join(this.folder, 'data.jsonl'), 'utf8').catch(() => '');
    for (const line of text.split('\n')) {
      try {
        const { image, type, question, answer } = JSON.parse(line);
        if (typeof image !== 'string' || typeof question !== 'string' || typeof answer !== 'string') continue;
        const file = path.join(this.folder, image);
        byImage.set(file, [...(byImage.get(file) ?? []), { type, question, answer }]);
      } catch {
        // A blank or torn line: the other questions still count.
      }
    }
    return byImage;
  }
}
