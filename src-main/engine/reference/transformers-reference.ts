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
  const { AutoModelForImageTextToText, AutoProcessor, RawImage, env } = await importTransformers();
  const modelDir = resolve(modelDirArg);
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = `${dirname(modelDir)}/`;
  const id = basename(modelDir);
  const processor: any = await AutoProcessor.from_pretrained(id);
  const model: any = await AutoModelForImageTextToText.from_pretrained(id, { dtype: (DTYPE_OF_VARIANT[variant] ?? variant) as 'fp32' });
  // The processors disagree on argument order: LLaVA's takes (images, text), Idefics3's (text, images).
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
    const messages = [{ role: 'user', content: [{ type: 'image' }, { type: 'text', text: question }] }];
    const text = processor.apply_chat_template(messages, { add_generation_prompt: true });
    const image = await RawImage.read(imagePath);
    const inputs: any = imagesFirst ? await processor(image, text) : await processor(text, [image]);
    const preprocessMs = performance.now() - t0;
    const preprocessCpu = process.cpuUsage(cpu0);
    let visionMs = 0;
    let embedMs = 0;
    if (stages) {
      const t = performance.now();
      await model.encode_image(inputs);
      visionMs = performance.now() - t;
      const e = performance.now();
      await model.encode_text({ input_ids: inputs.input_ids });
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
      visualTokens: inputIds.filter((id) => id === imageTokenId).length,
      pixelValues: inputs.pixel_values.data as Float32Array,
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
