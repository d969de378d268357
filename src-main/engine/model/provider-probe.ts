// Whether an execution provider can really run here. onnxruntime lists what its package was built with, not
// what this machine can start: webgpu is listed on Linux without a GPU adapter, cuda without its libraries. A
// one-node graph, built in memory, is opened and run on the provider: it fails the same way a model would,
// with onnxruntime's reason, in well under a second and without any model on disk.
import { InferenceSession, Tensor } from 'onnxruntime-node';
import type { ExecutionProvider } from '../../../src-shared/api';
import { EngineError, isEngineError } from '../errors';
import { DT_FLOAT } from '../surgery/onnx-proto';
import { encodeSmallModel } from '../surgery/small-model';
import { checkProvider } from './providers';
import { openSession, sessionOptions } from './sessions';

const PROBE_LABEL = 'the provider check graph';

/** y = Identity(x), x and y float[1]. */
function probeModel(): Uint8Array {
  const tensor = (name: string) => ({ name, type: { tensorType: { elemType: DT_FLOAT, shape: { dim: [{ dimValue: 1 }] } } } });
  return encodeSmallModel({
    name: 'provider-probe',
    nodes: [{ input: ['x'], output: ['y'], name: 'probe', opType: 'Identity', domain: '', attribute: [] }],
    inputs: [tensor('x')],
    outputs: [tensor('y')],
  });
}

/**
 * Resolves when `ep` opens and runs a session here; otherwise throws PROVIDER_UNAVAILABLE with onnxruntime's
 * reason on one line (an unknown or unlisted provider is refused by checkProvider first, without a session).
 */
export async function probeProvider(ep: string): Promise<void> {
  const provider: ExecutionProvider = checkProvider(ep);
  let session: InferenceSession | undefined;
  try {
    session = await openSession(PROBE_LABEL, { ep: provider }, () =>
      InferenceSession.create(probeModel(), sessionOptions({ ep: provider, threads: 1 })),
    );
    await session.run({ x: new Tensor('float32', Float32Array.of(1), [1]) });
  } catch (e) {
    // openSession names a provider failure itself; anything else on a graph this small is the provider's too.
    if (isEngineError(e)) throw e.code === 'PROVIDER_UNAVAILABLE' ? e : new EngineError('PROVIDER_UNAVAILABLE', e.message);
    const reason = (e instanceof Error ? e.message : String(e)).split('\n')[0];
    throw new EngineError('PROVIDER_UNAVAILABLE', `the ${provider} execution provider cannot run a session on this machine: ${reason}`);
  } finally {
    await session?.release();
  }
}
