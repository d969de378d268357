// Engine.load refuses a model whose config.json does not describe its decoder, with the file named.
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Engine } from './engine';
import { fixtureDir, photo } from './test/paths';

const source = fixtureDir('tiny-smolvlm');
const root = mkdtempSync(join(tmpdir(), 'vtc-load-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The fixture with config.json rewritten (a real file) and everything else linked. */
function withLayers(layers: number): string {
  const dir = join(root, `layers-${layers}`);
  mkdirSync(join(dir, 'onnx'), { recursive: true });
  for (const f of readdirSync(source)) if (f !== 'config.json' && f !== 'onnx') symlinkSync(join(source, f), join(dir, f));
  for (const f of readdirSync(join(source, 'onnx'))) symlinkSync(join(source, 'onnx', f), join(dir, 'onnx', f));
  const config = JSON.parse(readFileSync(join(source, 'config.json'), 'utf8'));
  config.text_config.num_hidden_layers = layers;
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  return dir;
}

describe('Engine.load with a config that does not match the decoder', () => {
  const graphCacheDir = join(root, 'graphs');

  it('names the missing cache inputs when config.json claims more layers', async () => {
    await expect(Engine.load(withLayers(3), { graphCacheDir })).rejects.toMatchObject({
      code: 'MODEL_MISMATCH',
      message: expect.stringMatching(
        /decoder_model_merged\.onnx does not look like this model's export: missing input 'past_key_values\.2\.value'/,
      ),
    });
  });

  it('says the decoder has more layers when config.json claims fewer', async () => {
    await expect(Engine.load(withLayers(1), { graphCacheDir })).rejects.toMatchObject({
      code: 'MODEL_MISMATCH',
      message: expect.stringMatching(/has more layers than config\.json's 1/),
    });
  });

  it('loads a model folder made of links (as a Hugging Face cache snapshot is)', async () => {
    const engine = await Engine.load(withLayers(2), { graphCacheDir });
    const answer = await engine.compare({
      image: photo('coins.png'),
      prompt: 'What is this?',
      maxNewTokens: 2,
      method: 'received',
      budget: { kind: 'ratio', ratio: 0.5 },
    });
    expect(answer.pruned.kept.length).toBe(answer.full.counts.visualTokens / 2);
    await engine.dispose();
  });

  it('loads the matching fixture', async () => {
    const engine = await Engine.load(source, { graphCacheDir });
    expect(engine.variants).toEqual({ vision_encoder: 'fp32', embed_tokens: 'fp32', decoder_model_merged: 'fp32' });
    await engine.dispose();
  });
});

describe('Engine.load option checks', () => {
  // The folder does not exist: only a check made before anything is read can answer with the thread error.
  it.each([availableParallelism() + 1, 100_000, -1, 1.5])('refuses %d threads before it reads the model folder', async (threads) => {
    await expect(Engine.load(join(root, 'no-such-model'), { threads })).rejects.toMatchObject({
      code: 'BAD_ARGUMENT',
      message: `threads must be a whole number from 0 (onnxruntime chooses) to ${availableParallelism()} (this machine's processor threads), got ${threads}`,
    });
  });
});
