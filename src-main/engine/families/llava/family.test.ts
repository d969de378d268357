// The LLaVA family against transformers.js (the reference) on the trained tiny-llava fixture, and the
// fixture's answers on fresh synthetic scenes through the project's own engine.
import { AutoModelForImageTextToText, AutoProcessor, env, RawImage } from '@huggingface/transformers';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../engine';
import { decodeImageFile } from '../../image/decodeImage';
import { readModelFolder } from '../../model/modelFolder';
import { writeSynthDataset } from '../../synth/dataset';
import { fixtureDir } from '../../test/paths';
import { TextTokenizer } from '../../text/tokenizer';
import { createLlavaFamily, expandLlavaImage } from './family';

const FIXTURE = fixtureDir('tiny-llava');

interface Line {
  image: string;
  question: string;
  answer: string;
  type: string;
}

describe('expandLlavaImage', () => {
  it('spells one view as exactly as many image tokens as features', () => {
    expect(expandLlavaImage([3])).toBe('<image><image><image>');
    expect(expandLlavaImage([0])).toBe('');
    expect(() => expandLlavaImage([2, 2])).toThrow(/one view/);
  });
});

describe('LLaVA family on tiny-llava', () => {
  let dir: string;
  let lines: Line[];
  let engine: Engine;
  let processor: any;
  let model: any;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'llava-family-'));
    // Fresh scenes: the fixture was trained on seed 1 and evaluated on seed 2.
    await writeSynthDataset({ out: join(dir, 'scenes'), count: 40, seed: 4242, questionsPerScene: 1 });
    lines = (await readFile(join(dir, 'scenes', 'data.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Line);
    engine = await Engine.load(FIXTURE, { graphCacheDir: join(dir, 'graphs') });
    env.allowRemoteModels = false;
    env.localModelPath = `${dirname(FIXTURE)}/`;
    processor = await AutoProcessor.from_pretrained(basename(FIXTURE));
    model = await AutoModelForImageTextToText.from_pretrained(basename(FIXTURE), { dtype: 'fp32' });
  });
  afterAll(async () => {
    await engine?.dispose();
    await model?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const imagePath = (l: Line) => join(dir, 'scenes', l.image);

  async function reference(l: Line) {
    const messages = [{ role: 'user', content: [{ type: 'image' }, { type: 'text', text: l.question }] }];
    const text = processor.apply_chat_template(messages, { add_generation_prompt: true });
    const inputs = await processor(await RawImage.read(imagePath(l)), text);
    const out = await model.generate({ ...inputs, max_new_tokens: 6, do_sample: false });
    const inputIds = Array.from(inputs.input_ids.data as BigInt64Array, Number);
    return { inputIds, pixels: inputs.pixel_values.data as Float32Array, tokens: Array.from(out.data as BigInt64Array, Number).slice(inputIds.length) };
  }

  it('lays a photo out as one 8x8 grid of [CLS]-scored patch tokens', async () => {
    const p = await engine.family.prepareImage(await decodeImageFile(imagePath(lines[0])));
    expect(engine.family.attentionKind).toBe('cls');
    expect([p.tiles, p.tokensPerTile, p.patchRows, p.patchCols, p.poolFactor]).toEqual([1, 64, 8, 8, 1]);
    expect(p.visionFeeds.pixel_values.dims).toEqual([1, 3, 96, 96]);
  });

  it.each([0, 1, 2, 3, 4])('scene %i: same prompt ids, pixels and greedy tokens as transformers.js', async (i) => {
    const l = lines[i];
    const ref = await reference(l);
    const { visionFeeds, ...layout } = await engine.family.prepareImage(await decodeImageFile(imagePath(l)));
    expect(engine.family.promptIds([{ role: 'user', text: l.question }], layout, [64])).toEqual(ref.inputIds);
    const pixels = visionFeeds.pixel_values.data as Float32Array;
    expect(pixels.length).toBe(ref.pixels.length);
    expect(pixels.every((v, j) => Math.abs(v - ref.pixels[j]) < 1e-4)).toBe(true);
    const answer = await engine.ask({ image: imagePath(l), prompt: l.question, maxNewTokens: 6 });
    expect(answer.tokens).toEqual(ref.tokens);
  });

  it('spells a pruned photo with as many image tokens as it keeps, text unchanged', async () => {
    const { visionFeeds: _, ...layout } = await engine.family.prepareImage(await decodeImageFile(imagePath(lines[0])));
    const turns = [{ role: 'user' as const, text: lines[0].question }];
    const full = engine.family.promptIds(turns, layout, [64]);
    const pruned = engine.family.promptIds(turns, layout, [16]);
    const id = engine.family.imageTokenId;
    expect(pruned.filter((t) => t === id)).toHaveLength(16);
    expect(pruned.filter((t) => t !== id)).toEqual(full.filter((t) => t !== id));
  });

  it('answers fresh synthetic scenes through the engine (the fixture is trained, not random)', async () => {
    let right = 0;
    for (const l of lines) if ((await engine.ask({ image: imagePath(l), prompt: l.question, maxNewTokens: 6 })).text.trim() === l.answer) right++;
    // Measured on 2,500 fresh questions at training time: see models/fixtures/tiny-llava/README.md.
    expect(right / lines.length).toBeGreaterThanOrEqual(0.8);
  });

  it('refuses a crop that is not a whole number of patches', () => {
    const folder = readModelFolder(FIXTURE);
    const tokenizer = new TextTokenizer(folder.tokenizerJson, folder.tokenizerConfig);
    const bad = { ...folder, preprocessorConfig: { ...folder.preprocessorConfig, crop_size: { width: 100, height: 96 } } };
    expect(() => createLlavaFamily(bad, tokenizer)).toThrow(/whole number of 12-px patches/);
  });
});
