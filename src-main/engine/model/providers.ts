// Which onnxruntime execution providers this machine's onnxruntime-node package can use. The package ships
// different providers per platform (Linux: cpu, webgpu, cuda with separately installed libraries; Windows: cpu,
// dml, webgpu; macOS: cpu, coreml, webgpu), and reports them at run time. The providers the app knows at all
// are the one list in src-shared/api.ts, which the settings schema and the renderer read too.
import { listSupportedBackends } from 'onnxruntime-node';
import { EXECUTION_PROVIDERS, type ExecutionProvider } from '../../../src-shared/api';
import { EngineError } from '../errors';

export function availableProviders(): ExecutionProvider[] {
  const supported = listSupportedBackends()
    // CUDA is listed on Linux even when its libraries were never installed (`bundled: false`); offering it
    // would only fail at session creation.
    .filter((b) => b.bundled || b.name !== 'cuda')
    .map((b) => b.name);
  return EXECUTION_PROVIDERS.filter((ep) => supported.includes(ep));
}

export function checkProvider(ep: string): ExecutionProvider {
  if (!(EXECUTION_PROVIDERS as readonly string[]).includes(ep)) {
    throw new EngineError('PROVIDER_UNAVAILABLE', `unknown execution provider '${ep}' (known: ${EXECUTION_PROVIDERS.join(', ')})`);
  }
  const available = availableProviders();
  if (!available.includes(ep as ExecutionProvider)) {
    throw new EngineError(
      'PROVIDER_UNAVAILABLE',
      `execution provider '${ep}' is not available on this machine (available: ${available.join(', ')})`,
    );
  }
  return ep as ExecutionProvider;
}
