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

// onnxruntime prefixes some messages with the C++ source location and the failed check
// ("/onnxruntime_src/.../webgpu_context.cc:136 onnxruntime::...() cond was false. "): the rest is the reason.
const SOURCE_LOCATION = /^\S+\.(?:cc|cpp|h):\d+ .*? was false\. /;

/** Whether onnxruntime failed in the provider itself (its library, device or adapter), not in the model. */
function providerFailed(message: string, ep: ExecutionProvider): boolean {
  return ep !== 'cpu' && new RegExp(`providers[/_]${ep}\\b|ExecutionProvider_${ep}\\b`, 'i').test(message);
}

/**
 * Creates a session, turning onnxruntime's failure into an error that names the file and the provider, or, when
 * the provider itself cannot start here (no GPU adapter, CUDA libraries missing), says so.
 */
export async function openSession(
  path: string,
  settings: SessionSettings,
  create: () => Promise<InferenceSession> = () => InferenceSession.create(path, sessionOptions(settings)),
): Promise<InferenceSession> {
  try {
    return await create();
  } catch (e) {
    const message = (e as Error).message.split('\n')[0];
    const reason = message.replace(SOURCE_LOCATION, '');
    if (providerFailed(message, settings.ep)) {
      throw new EngineError('PROVIDER_UNAVAILABLE', `the ${settings.ep} execution provider cannot start on this machine: ${reason}`);
    }
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
