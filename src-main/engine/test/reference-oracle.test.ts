// The engine must agree with the reference implementation on the same inputs: the same prompt ids, the same
// pixels (within 1e-4), and the same greedy tokens.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../engine';
import { decodeImageFile } from '../image/decode-image';
import { loadReference } from '../reference/transformers-reference';
import { DERIVED_PHOTOS, withDerivedPhotos } from './derived-photos';
import { fixtureDir } from './paths';

const NEW_TOKENS = 32;

describe.each([
  // The SmolVLM fixture never emits eos (its special-token logits are zeroed), so it always runs the full 32;
  // chelsea.png splits into 12 tiles + the global view.
  {
    model: 'tiny-smolvlm',
    question: 'What is in this photo?',
    photos: ['chelsea.png', 'astronaut.png', 'coins.png', 'rocket.jpg'],
    minTokens: NEW_TOKENS,
    firstTiles: 13,
  },
  // The trained LLaVA fixture knows only its synthetic scenes' words and answers in a word or two, then eos;
  // real photos still exercise preprocessing, prompt and generation. One view per photo.
  {
    model: 'tiny-llava',
    question: 'how many objects are there?',
    photos: ['chelsea.png', 'astronaut.png', 'coffee.png', 'rocket.jpg'],
    minTokens: 1,
    firstTiles: 1,
  },
  // The trained SmolVLM-layout fixture: 64 px crops of a 192 px longest edge (chelsea.png: 3 x 2 crops + the global
  // view), a word-level vocabulary, answers of a word or two, then eos.
  {
    model: 'tiny-smolvlm-trained',
    question: 'how many objects are there?',
    photos: ['chelsea.png', 'astronaut.png', 'coins.png', 'coffee.png'],
    minTokens: 1,
    firstTiles: 7,
  },
  // Phi-3-vision's HD transform on a 3:2 photo (2 x 2 crops + the global view), a panorama (1 x 4), a tall strip
  // (3 x 1) and a thumbnail scaled up to 2 x 2; its answers are letters and spaces and never stop early.
  {
    model: 'tiny-phi3v',
    question: 'What is in this photo?',
    photos: ['chelsea.png', ...DERIVED_PHOTOS],
    minTokens: NEW_TOKENS,
    firstTiles: 5,
  },
])('engine vs transformers.js on $model', ({ model, question: QUESTION, photos, minTokens, firstTiles }) => {
  let engine: Engine;
  let reference: Awaited<ReturnType<typeof loadReference>>;
  let photo: (name: string) => string;
  const generated = new Map<string, number[]>();

  beforeAll(async () => {
    photo = await withDerivedPhotos();
    engine = await Engine.load(fixtureDir(model), { graphCacheDir: join(tmpdir(), `vtc-oracle-graphs-${process.pid}`) });
    reference = await loadReference(fixtureDir(model));
  });
  afterAll(async () => {
    await engine?.dispose();
    await reference?.dispose();
  });

  it.each(photos)('%s: same input ids, pixels and greedy tokens', async (name) => {
    const ref = await reference.run(photo(name), QUESTION, NEW_TOKENS);
    const prepared = await engine.family.prepareImage(await decodeImageFile(photo(name)));
    const { visionFeeds, ...layout } = prepared;
    const ids = engine.family.promptIds([{ role: 'user', text: QUESTION }], layout, new Array(layout.tiles).fill(layout.tokensPerTile));
    // Generation may stop at eos before the limit; both sides must stop at the same token.
    expect(ids).toEqual(ref.inputIds);

    const pixels = visionFeeds.pixel_values.data as Float32Array;
    expect(visionFeeds.pixel_values.dims).toEqual(ref.pixelDims);
    expect(pixels.length).toBe(ref.pixelValues.length);
    let maxDiff = 0;
    for (let i = 0; i < pixels.length; i++) maxDiff = Math.max(maxDiff, Math.abs(pixels[i] - ref.pixelValues[i]));
    expect(maxDiff).toBeLessThan(1e-4);

    const answer = await engine.ask({ image: photo(name), prompt: QUESTION, maxNewTokens: NEW_TOKENS });
    expect(ref.tokens.length).toBeGreaterThanOrEqual(minTokens);
    expect(answer.tokens).toEqual(ref.tokens);
    generated.set(name, answer.tokens);
  });

  it('lays the first photo out in the expected number of tiles', async () => {
    const layout = await engine.family.prepareImage(await decodeImageFile(photo(photos[0])));
    expect(layout.tiles).toBe(firstTiles);
  });

  it('is discriminative: different photos give different answers', () => {
    // Guards the fixture itself: if answers ignored the image, token equality would prove nothing about
    // image processing or feature placement.
    const distinct = new Set([...generated.values()].map((t) => t.join(',')));
    expect(generated.size).toBe(photos.length);
    expect(distinct.size).toBeGreaterThan(1);
  });
});
