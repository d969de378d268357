// transformers.js as the reference implementation: the same model folder, photo and question through its
// processor and generate(). Used by the engine's oracle tests and by `vtc bench`, so it sits in the engine,
// the layer both may import; transformers.js is a devDependency, so the app's own paths never import this module.
// Its processors and models are driven through transformers.js's dynamic API, which its types do not describe.
/* eslint-disable @typescript-eslint/no-explicit-any */
import { basename, dirname, resolve } from 'node:path';
import { EngineError } from '../errors';

export interface ReferenceRun {
  inputIds: number[];
  /** Image tokens in the prompt. */
  visualTokens: number;
  pixelValues: Float32Array;
  pixelDims: number[];
  tokens: number[];
  /** Stage times in ms: processor, vision encoder alone, embeddings alone, time to first token, decode, total. */
  timings: { preprocessMs: number; visionMs: number; embedMs: number; firstTokenMs: number; decodeMs: number; totalMs: number };
  /** Processor time of the answer (preprocessing and generate(), not the separate stage timings), all threads. */
  cpuMs: number;
}

async function importTransformers() {
  try {
    return await import('@huggingface/transformers');
  } catch {
    throw new EngineError(
      'BAD_ARGUMENT',
      'the reference needs @huggingface/transformers (a devDependency): run npm install in the repository',
    );
  }
}

/** Our variant names are the file suffixes; transformers.js calls `_quantized` files q8. */
const DTYPE_OF_VARIANT: Record<string, string> = { quantized: 'q8' };

export async function loadReference(modelDirArg: string, variant = 'fp32') {
  const { AutoModelForCausalLM, AutoModelForImageTextToText, AutoProcessor, AutoConfig, RawImage, env } = await importTransformers();
  const modelDir = resolve(modelDirArg);
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = `${dirname(modelDir)}/`;
  const id = basename(modelDir);
  const processor: any = await AutoProcessor.from_pretrained(id);
  // transformers.js files Phi-3-vision under causal LMs; its prompt names the image in plain-text content.
  const phi3v = ((await AutoConfig.from_pretrained(id)) as any).model_type === 'phi3_v';
  const modelClass: any = phi3v ? AutoModelForCausalLM : AutoModelForImageTextToText;
  const model: any = await modelClass.from_pretrained(id, { dtype: (DTYPE_OF_VARIANT[variant] ?? variant) as 'fp32' });
  // The processors disagree on argument order: LLaVA's takes (images, text), Idefics3's (text, images), Phi3V's (text, image).
  const imagesFirst = model.config.model_type === 'llava';

  /** Runs the question once; `stages` also times the vision encoder and embeddings alone (they run again inside generate). */
  async function run(
    imagePath: string,
    question: string,
    maxNewTokens: number,
    stages = false,
    { ignoreEos = false } = {},
  ): Promise<ReferenceRun> {
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const content = phi3v ? `<|image_1|>\n${question}` : [{ type: 'image' }, { type: 'text', text: question }];
    const messages = [{ role: 'user', content }];
    const text = processor.apply_chat_template(messages, { add_generation_prompt: true });
    const image = await RawImage.read(imagePath);
    const inputs: any = imagesFirst ? await processor(image, text) : await processor(text, phi3v ? image : [image]);
    const preprocessMs = performance.now() - t0;
    const preprocessCpu = process.cpuUsage(cpu0);
    let visionMs = 0;
    let embedMs = 0;
    if (stages) {
      const t = performance.now();
      // Phi-3-vision's model has no encode_image / encode_text: its two sessions run as its forward() runs them.
      const features = phi3v
        ? await model.sessions.vision_encoder.run({
            pixel_values: inputs.pixel_values.ort_tensor,
            image_sizes: inputs.image_sizes.ort_tensor,
          })
        : await model.encode_image(inputs);
      visionMs = performance.now() - t;
      const e = performance.now();
      if (phi3v)
        await model.sessions.prepare_inputs_embeds.run({ input_ids: inputs.input_ids.ort_tensor, image_features: features.image_features });
      else await model.encode_text({ input_ids: inputs.input_ids });
      embedMs = performance.now() - e;
    }
    let puts = 0;
    let firstTokenAt = 0;
    const streamer = {
      // generate() first puts the prompt, then each new token.
      put() {
        if (++puts === 2) firstTokenAt = performance.now();
      },
      end() {},
    };
    const g = performance.now();
    const cpu1 = process.cpuUsage();
    // Without an eos id generate() has no eos stopping criterion and changes no logits, as our ignoreEos.
    const eos = ignoreEos ? { eos_token_id: null } : {};
    const out = (await model.generate({ ...inputs, max_new_tokens: maxNewTokens, do_sample: false, streamer, ...eos })) as {
      data: BigInt64Array;
    };
    const end = performance.now();
    const generateCpu = process.cpuUsage(cpu1);
    const inputIds = Array.from(inputs.input_ids.data as BigInt64Array, Number);
    const imageTokenId: number = model.config.image_token_id ?? model.config.image_token_index;
    return {
      inputIds,
      // Phi-3-vision marks image tokens with negative ids.
      visualTokens: inputIds.filter((id) => (phi3v ? id < 0 : id === imageTokenId)).length,
      pixelValues: inputs.pixel_values.data as Float32Array,
      pixelDims: inputs.pixel_values.dims as number[],
      tokens: Array.from(out.data, Number).slice(inputIds.length),
      timings: {
        preprocessMs,
        visionMs,
        embedMs,
        firstTokenMs: firstTokenAt - g,
        decodeMs: end - firstTokenAt,
        totalMs: preprocessMs + (end - g),
      },
      cpuMs: (preprocessCpu.user + preprocessCpu.system + generateCpu.user + generateCpu.system) / 1000,
    };
  }
  return { run, dispose: () => model.dispose() as Promise<void> };
}
