// Opens an instrumented vision encoder. Its weights are external-data references into the source
// model's folder, which ORT refuses to follow from a file elsewhere ("escapes model directory");
// loading the (small) graph from memory with that folder named as the external-data folder is
// the way ORT allows it, and it never copies or links the weights.

import { readFile } from 'node:fs/promises';
import { InferenceSession } from 'onnxruntime-node';
import type { InstrumentedEncoder } from './instrument-vision-encoder';

export async function createInstrumentedSession(
  encoder: Pick<InstrumentedEncoder, 'path' | 'externalDataDir'>,
  options: InferenceSession.SessionOptions = {},
): Promise<InferenceSession> {
  const graph = await readFile(encoder.path);
  const extra = (options.extra ?? {}) as { session?: Record<string, unknown> };
  return InferenceSession.create(graph, {
    ...options,
    extra: { ...extra, session: { ...extra.session, model_external_initializers_file_folder_path: encoder.externalDataDir } },
  });
}
