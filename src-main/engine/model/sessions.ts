// onnxruntime-node sessions for one model folder, created with the chosen provider and thread count.
import { InferenceSession } from 'onnxruntime-node';
import type { ExecutionProvider } from '../../../src-shared/api';
import { EngineError } from '../errors';

export interface SessionSettings {
  ep: ExecutionProvider;
  /** Intra-op threads; 0 or absent lets onnxruntime choose. */
  threads?: number;
}

export function sessionOptions(settings: SessionSettings): InferenceSession.SessionOptions {
  return {
    executionProviders: [settings.ep],
    graphOptimizationLevel: 'all',
    ...(settings.threads ? { intraOpNumThreads: settings.threads, interOpNumThreads: 1 } : {}),
  };
}

/** Creates a session, turning onnxruntime's failure into an error that names the file and the provider. */
export async function openSession(
  path: string,
  settings: SessionSettings,
  create: () => Promise<InferenceSession> = () => InferenceSession.create(path, sessionOptions(settings)),
): Promise<InferenceSession> {
  try {
    return await create();
  } catch (e) {
    const reason = (e as Error).message.split('\n')[0];
    throw new EngineError('MODEL_MISMATCH', `cannot load ${path} on the ${settings.ep} provider: ${reason}`);
  }
}

/** Fails early, naming the file, when a graph lacks an input or output the engine feeds or reads. */
export function expectNames(session: InferenceSession, path: string, inputs: string[], outputs: string[]): void {
  const missing = [
    ...inputs.filter((n) => !session.inputNames.includes(n)).map((n) => `input '${n}'`),
    ...outputs.filter((n) => !session.outputNames.includes(n)).map((n) => `output '${n}'`),
  ];
  if (missing.length > 0) {
    throw new EngineError('MODEL_MISMATCH', `${path} does not look like this model's export: missing ${missing.join(', ')}`);
  }
}
