// Which onnxruntime execution providers this machine's onnxruntime-node package can use. The package ships
// different providers per platform (Linux: cpu, webgpu, cuda with separately installed libraries; Windows: cpu,
// dml, webgpu; macOS: cpu, coreml, webgpu), and reports them at run time.
import { listSupportedBackends } from 'onnxruntime-node';
import type { ExecutionProvider } from '../../../src-shared/api';
import { EngineError } from '../errors';

const KNOWN: readonly ExecutionProvider[] = ['cpu', 'cuda', 'dml', 'coreml', 'webgpu'];

export function availableProviders(): ExecutionProvider[] {
  const supported = listSupportedBackends()
    // CUDA is listed on Linux even when its libraries were never installed (`bundled: false`); offering it
    // would only fail at session creation.
    .filter((b) => b.bundled || b.name !== 'cuda')
    .map((b) => b.name);
  return KNOWN.filter((ep) => supported.includes(ep));
}

export function checkProvider(ep: string): ExecutionProvider {
  if (!(KNOWN as readonly string[]).includes(ep)) {
    throw new EngineError('PROVIDER_UNAVAILABLE', `unknown execution provider '${ep}' (known: ${KNOWN.join(', ')})`);
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
