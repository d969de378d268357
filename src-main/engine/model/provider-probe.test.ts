import { join } from 'node:path';
import { InferenceSession } from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../test/paths';
import { probeProvider } from './provider-probe';
import { availableProviders } from './providers';

// A real graph from disk, opened straight through onnxruntime: what a model would meet on each provider.
const REAL_GRAPH = join(REPO_ROOT, 'src-main/engine/test/image/testdata/resize-linear-half-pixel.onnx');

async function realSessionFailure(ep: string): Promise<string | undefined> {
  try {
    await (await InferenceSession.create(REAL_GRAPH, { executionProviders: [ep] })).release();
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

describe('probeProvider', () => {
  it('runs on cpu', async () => {
    await expect(probeProvider('cpu')).resolves.toBeUndefined();
  });

  it('refuses a provider this onnxruntime package does not list, before any session', async () => {
    const missing = (['dml', 'coreml'] as const).find((ep) => !availableProviders().includes(ep))!;
    await expect(probeProvider(missing)).rejects.toMatchObject({
      code: 'PROVIDER_UNAVAILABLE',
      message: expect.stringMatching(/is not available on this machine/),
    });
  });

  // Whatever this machine has: on one without a GPU, webgpu is listed but cannot start, and that is the case
  // that matters; on one with a GPU adapter, it starts and the probe must say so.
  it.each(availableProviders())('agrees with a real session on %s, and gives onnxruntime its reason in one line', async (ep) => {
    const failure = await realSessionFailure(ep);
    const probe = probeProvider(ep).then(
      () => undefined,
      (e: { code: string; message: string }) => e,
    );
    const refused = await probe;
    if (failure === undefined) {
      expect(refused).toBeUndefined();
      return;
    }
    expect(refused).toMatchObject({ code: 'PROVIDER_UNAVAILABLE' });
    expect(refused!.message).not.toContain('\n');
    // The reason onnxruntime gave for the real graph (after its source location) is the one the probe reports.
    const reason = failure.split('\n')[0].replace(/^\S+\.(?:cc|cpp|h):\d+ .*? was false\. /, '');
    expect(refused!.message).toBe(`the ${ep} execution provider cannot start on this machine: ${reason}`);
  });
});
