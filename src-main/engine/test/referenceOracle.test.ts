// The engine must agree with the reference implementation on the same inputs: the same prompt ids, the same
// pixels (within 1e-4), and the same greedy tokens.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../engine';
import { decodeImageFile } from '../image/decodeImage';
import { loadReference } from '../../bench/transformersReference';
import { fixtureDir, photo } from './paths';

const QUESTION = 'What is in this photo?';
const NEW_TOKENS = 32;

describe.each([
  { model: 'tiny-smolvlm', photos: ['chelsea.png', 'astronaut.png', 'coins.png', 'rocket.jpg'] },
])('engine vs transformers.js on $model', ({ model, photos }) => {
  let engine: Engine;
  let reference: Awaited<ReturnType<typeof loadReference>>;
  const generated = new Map<string, number[]>();

  beforeAll(async () => {
    engine = await Engine.load(fixtureDir(model));
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
    expect(ids).toEqual(ref.inputIds);

    const pixels = visionFeeds.pixel_values.data as Float32Array;
    expect(pixels.length).toBe(ref.pixelValues.length);
    let maxDiff = 0;
    for (let i = 0; i < pixels.length; i++) maxDiff = Math.max(maxDiff, Math.abs(pixels[i] - ref.pixelValues[i]));
    expect(maxDiff).toBeLessThan(1e-4);

    const answer = await engine.ask({ image: photo(name), prompt: QUESTION, maxNewTokens: NEW_TOKENS });
    expect(ref.tokens.length).toBe(NEW_TOKENS);
    expect(answer.tokens).toEqual(ref.tokens);
    generated.set(name, answer.tokens);
  });

  it('covers a photo split into several tiles', async () => {
    const layout = await engine.family.prepareImage(await decodeImageFile(photo(photos[0])));
    expect(layout.tiles).toBeGreaterThan(1);
  });

  it('is discriminative: different photos give different answers', () => {
    // Guards the fixture itself: if answers ignored the image, token equality would prove nothing about
    // image processing or feature placement.
    const distinct = new Set([...generated.values()].map((t) => t.join(',')));
    expect(generated.size).toBe(photos.length);
    expect(distinct.size).toBeGreaterThan(1);
  });
});
