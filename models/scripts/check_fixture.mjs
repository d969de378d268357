// Checks the fixtures written by build_smolvlm_fixture.py; exits non-zero on the first failure.
//   node models/scripts/check_fixture.mjs
// 1. The tiny SmolVLM folder loads in the reference @huggingface/transformers and generates
//    32 greedy tokens per photo, and the answers differ between photos.
// 2. Each graph runs in onnxruntime-node at shapes other than its export dummy's: the decoder at
//    past lengths 0, 6 and 8 (cached decoding equals a full prefill), with left padding; the vision
//    encoder per image, with a partial pixel mask, and at 256 px.
// 3. The fused (com.microsoft:MultiHeadAttention) twins give the unfused twins' image_features.
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { AutoProcessor, Idefics3ForConditionalGeneration, RawImage, env } from '@huggingface/transformers';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const fixtures = path.join(root, 'models/fixtures');
const modelDir = path.join(fixtures, 'tiny-smolvlm');
const photos = path.join(root, 'test-assets/photos');
const sessionOptions = { intraOpNumThreads: 1 };

function maxAbsDiff(a, b) {
  assert.equal(a.length, b.length, 'length mismatch');
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

function seededRandom(seed) {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function randomTensor(dims, random) {
  const size = dims.reduce((a, b) => a * b, 1);
  return new ort.Tensor(
    'float32',
    Float32Array.from({ length: size }, () => random() * 2 - 1),
    dims,
  );
}

async function checkReferenceGeneration() {
  env.allowRemoteModels = false;
  env.localModelPath = fixtures;
  const processor = await AutoProcessor.from_pretrained('tiny-smolvlm');
  const model = await Idefics3ForConditionalGeneration.from_pretrained('tiny-smolvlm', { dtype: 'fp32' });
  const answers = {};
  for (const photo of ['chelsea.png', 'astronaut.png']) {
    const image = await RawImage.read(path.join(photos, photo));
    const messages = [{ role: 'user', content: [{ type: 'image' }, { type: 'text', text: 'What is in this photo?' }] }];
    const prompt = processor.apply_chat_template(messages, { add_generation_prompt: true });
    const inputs = await processor(prompt, [image]);
    const promptLength = inputs.input_ids.dims[1];
    const started = performance.now();
    const output = await model.generate({ ...inputs, max_new_tokens: 32, do_sample: false });
    const ms = performance.now() - started;
    const newTokens = Array.from(output.slice(null, [promptLength, null]).data, Number);
    assert.equal(newTokens.length, 32, `${photo}: expected 32 new tokens`);
    answers[photo] = newTokens.join(',');
    console.log(
      `${photo}: tiles=${inputs.pixel_values.dims[1]} pixel_values=[${inputs.pixel_values.dims}] ` +
        `prompt=${promptLength} tokens, generate(32)=${ms.toFixed(0)} ms, distinct new tokens=${new Set(newTokens).size}`,
    );
    console.log(`  ids: ${newTokens.join(' ')}`);
    console.log(`  text: ${JSON.stringify(processor.batch_decode([newTokens], { skip_special_tokens: false })[0])}`);
  }
  assert.notEqual(answers['chelsea.png'], answers['astronaut.png'], 'answers should depend on the image');
  await model.dispose();
}

async function checkDecoder() {
  const embed = await ort.InferenceSession.create(path.join(modelDir, 'onnx/embed_tokens.onnx'), sessionOptions);
  const decoder = await ort.InferenceSession.create(path.join(modelDir, 'onnx/decoder_model_merged.onnx'), sessionOptions);
  const layers = decoder.inputNames.filter((n) => n.endsWith('.key')).length;
  const ids = [1, 11126, 42, 3060, 28, 905, 314, 260, 4469];

  const embedIds = async (tokens, batch = 1) => {
    const data = BigInt64Array.from(Array.from({ length: batch }, () => tokens).flat(), BigInt);
    const { inputs_embeds } = await embed.run({ input_ids: new ort.Tensor('int64', data, [batch, tokens.length]) });
    assert.deepEqual(inputs_embeds.dims, [batch, tokens.length, 32]);
    return inputs_embeds;
  };
  const emptyPast = (batch) => {
    const feeds = {};
    for (let i = 0; i < layers; i++)
      for (const kind of ['key', 'value'])
        feeds[`past_key_values.${i}.${kind}`] = new ort.Tensor('float32', new Float32Array(0), [batch, 2, 0, 8]);
    return feeds;
  };
  const pastFrom = (outputs) => {
    const feeds = {};
    for (const [name, tensor] of Object.entries(outputs))
      if (name.startsWith('present.')) feeds[name.replace('present.', 'past_key_values.')] = tensor;
    return feeds;
  };
  const step = (inputsEmbeds, mask, positions, past) =>
    decoder.run({
      inputs_embeds: inputsEmbeds,
      attention_mask: new ort.Tensor('int64', BigInt64Array.from(mask, BigInt), [1, mask.length]),
      position_ids: new ort.Tensor('int64', BigInt64Array.from(positions, BigInt), [1, positions.length]),
      ...past,
    });
  const range = (from, to) => Array.from({ length: to - from }, (_, i) => from + i);
  const vocab = 49280;

  const full = await step(
    await embedIds(ids),
    range(0, 9).map(() => 1),
    range(0, 9),
    emptyPast(1),
  );
  assert.deepEqual(full.logits.dims, [1, 9, vocab]);
  assert.deepEqual(full['present.0.key'].dims, [1, 2, 9, 8]);

  const head = await step(
    await embedIds(ids.slice(0, 6)),
    range(0, 6).map(() => 1),
    range(0, 6),
    emptyPast(1),
  );
  const tail = await step(
    await embedIds(ids.slice(6, 8)),
    range(0, 8).map(() => 1),
    range(6, 8),
    pastFrom(head),
  );
  const last = await step(
    await embedIds(ids.slice(8)),
    range(0, 9).map(() => 1),
    [8],
    pastFrom(tail),
  );
  const fullLogits = full.logits.data;
  const cachedDiff = Math.max(
    maxAbsDiff(tail.logits.data, fullLogits.subarray(6 * vocab, 8 * vocab)),
    maxAbsDiff(last.logits.data, fullLogits.subarray(8 * vocab)),
  );
  assert.ok(cachedDiff < 1e-4, `cached decoding differs from full prefill by ${cachedDiff}`);
  console.log(`decoder: past 0 / 6 / 8 agree with a 9-token prefill (max |diff| ${cachedDiff.toExponential(2)})`);

  // Left padding: 3 masked junk tokens in front must not change the real tokens' logits.
  const padded = await step(
    await embedIds([7, 7, 7, ...ids]),
    [0, 0, 0, ...range(0, 9).map(() => 1)],
    [1, 1, 1, ...range(0, 9)],
    emptyPast(1),
  );
  const paddingDiff = maxAbsDiff(padded.logits.data.subarray(3 * vocab), fullLogits);
  assert.ok(paddingDiff < 1e-4, `left padding changes logits by ${paddingDiff}`);
  console.log(`decoder: left-padded attention_mask leaves real tokens unchanged (max |diff| ${paddingDiff.toExponential(2)})`);

  const started = performance.now();
  await step(
    await embedIds(range(100, 1000)),
    range(0, 900).map(() => 1),
    range(0, 900),
    emptyPast(1),
  );
  console.log(`decoder: 900-token prefill ${(performance.now() - started).toFixed(0)} ms (1 thread)`);
}

async function checkVisionEncoder() {
  const vision = await ort.InferenceSession.create(path.join(modelDir, 'onnx/vision_encoder.onnx'), sessionOptions);
  const random = seededRandom(1);
  const run = async (pixels, mask) => (await vision.run({ pixel_values: pixels, pixel_attention_mask: mask })).image_features;
  const fullMask = (n, side, batch = 1) => new ort.Tensor('bool', new Uint8Array(batch * n * side * side).fill(1), [batch, n, side, side]);

  const three = randomTensor([1, 3, 3, 512, 512], random);
  const started = performance.now();
  const features = await run(three, fullMask(3, 512));
  const ms = performance.now() - started;
  assert.deepEqual(features.dims, [192, 32]);
  const tile = 3 * 512 * 512;
  const second = new ort.Tensor('float32', three.data.slice(tile, 2 * tile), [1, 1, 3, 512, 512]);
  const alone = await run(second, fullMask(1, 512));
  const perImageDiff = maxAbsDiff(alone.data, features.data.subarray(64 * 32, 128 * 32));
  assert.ok(perImageDiff < 1e-5, `image 2 encoded alone differs by ${perImageDiff}`);
  console.log(
    `vision: 3 tiles -> [${features.dims}] in ${ms.toFixed(0)} ms; tile 2 alone matches (max |diff| ${perImageDiff.toExponential(2)})`,
  );

  const halfMask = fullMask(1, 512);
  halfMask.data.fill(0, 256 * 512);
  const masked = await run(second, halfMask);
  const maskEffect = maxAbsDiff(masked.data, alone.data);
  assert.ok(maskEffect > 1e-3, 'pixel_attention_mask has no effect');
  console.log(`vision: masking the bottom half changes features (max |diff| ${maskEffect.toFixed(3)})`);

  const small = await run(randomTensor([2, 1, 3, 256, 256], random), fullMask(1, 256, 2));
  assert.deepEqual(small.dims, [32, 32]);
  console.log(`vision: batch 2 x 256 px -> [${small.dims}] (16 tokens per tile)`);
}

async function checkFusedTwins() {
  const random = seededRandom(2);
  for (const [name, tokens] of [
    ['tiny-siglip', 16],
    ['tiny-clip', 17],
  ]) {
    const unfused = await ort.InferenceSession.create(path.join(fixtures, `graphs/${name}-unfused.onnx`), sessionOptions);
    const fused = await ort.InferenceSession.create(path.join(fixtures, `graphs/${name}-fused.onnx`), sessionOptions);
    const pixelValues = randomTensor([3, 3, 64, 64], random);
    const a = (await unfused.run({ pixel_values: pixelValues })).image_features;
    const b = (await fused.run({ pixel_values: pixelValues })).image_features;
    assert.deepEqual(a.dims, [3, tokens, 32]);
    assert.deepEqual(b.dims, a.dims);
    const diff = maxAbsDiff(a.data, b.data);
    assert.ok(diff < 1e-5, `${name}: fused differs from unfused by ${diff}`);
    console.log(`${name}: fused == unfused on [${a.dims}] (max |diff| ${diff.toExponential(2)})`);
  }
}

await checkFusedTwins();
await checkVisionEncoder();
await checkDecoder();
await checkReferenceGeneration();
console.log('all fixture checks passed');
