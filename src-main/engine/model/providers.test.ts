import { listSupportedBackends } from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { thrownEngineError } from '../test/engine-errors';
import { availableProviders, checkProvider } from './providers';

describe('availableProviders', () => {
  it('always offers cpu and only providers the package reports', () => {
    const reported = listSupportedBackends().map((b) => b.name);
    const available = availableProviders();
    expect(available).toContain('cpu');
    for (const ep of available) expect(reported).toContain(ep);
  });

  it('leaves out cuda when its libraries were not installed', () => {
    const cuda = listSupportedBackends().find((b) => b.name === 'cuda');
    expect(availableProviders().includes('cuda')).toBe(cuda?.bundled === true);
  });
});

describe('checkProvider', () => {
  it('accepts cpu', () => {
    expect(checkProvider('cpu')).toBe('cpu');
  });

  it.each(['', 'CPU', 'tensorrt', 'gpu'])('refuses the unknown name %j, listing the known ones', (ep) => {
    const e = thrownEngineError(() => checkProvider(ep));
    expect(e.code).toBe('PROVIDER_UNAVAILABLE');
    expect(e.message).toBe(`unknown execution provider '${ep}' (known: cpu, cuda, dml, coreml, webgpu)`);
  });

  it('refuses a known provider this machine lacks, listing those it has', () => {
    const available = availableProviders();
    // Every platform lacks at least one of these (dml is Windows-only, coreml macOS-only).
    const missing = (['dml', 'coreml', 'cuda'] as const).find((ep) => !available.includes(ep))!;
    const e = thrownEngineError(() => checkProvider(missing));
    expect(e.code).toBe('PROVIDER_UNAVAILABLE');
    expect(e.message).toBe(`execution provider '${missing}' is not available on this machine (available: ${available.join(', ')})`);
  });
});
