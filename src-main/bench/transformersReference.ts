// transformers.js as the reference: the same model folder, photo and question through its processor and
// generate(). Test-only (the package is a devDependency); the engine never imports it.
import { AutoModelForVision2Seq, AutoProcessor, RawImage, env } from '@huggingface/transformers';
import { basename, dirname } from 'node:path';

export interface ReferenceRun {
  inputIds: number[];
  pixelValues: Float32Array;
  tokens: number[];
}

export async function loadReference(modelDir: string) {
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = `${dirname(modelDir)}/`;
  const id = basename(modelDir);
  const processor = await AutoProcessor.from_pretrained(id);
  const model = await AutoModelForVision2Seq.from_pretrained(id, { dtype: 'fp32' });

  async function run(imagePath: string, question: string, maxNewTokens: number): Promise<ReferenceRun> {
    const messages = [{ role: 'user', content: [{ type: 'image' }, { type: 'text', text: question }] }];
    const text = processor.apply_chat_template(messages, { add_generation_prompt: true });
    const inputs = await processor(text, [await RawImage.read(imagePath)]);
    const out = (await model.generate({ ...inputs, max_new_tokens: maxNewTokens, do_sample: false })) as { data: BigInt64Array };
    const inputIds = Array.from(inputs.input_ids.data as BigInt64Array, Number);
    return {
      inputIds,
      pixelValues: inputs.pixel_values.data as Float32Array,
      tokens: Array.from(out.data, Number).slice(inputIds.length),
    };
  }
  return { run, dispose: () => model.dispose() };
}
