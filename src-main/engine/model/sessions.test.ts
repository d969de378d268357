import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InferenceSession } from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineErrorOf } from '../test/engine-errors';
import { EngineError } from '../errors';
import { fixtureDir } from '../test/paths';
import { expectNames, openSession, sessionOptions } from './sessions';

const EMBED = join(fixtureDir('tiny-smolvlm'), 'onnx', 'embed_tokens.onnx');
const tmp = mkdtempSync(join(tmpdir(), 'vtc-sessions-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('sessionOptions', () => {
  it('pins intra-op threads (and one inter-op thread) when a count is given', () => {
    expect(sessionOptions({ ep: 'cpu', threads: 3 })).toEqual({
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      intraOpNumThreads: 3,
      interOpNumThreads: 1,
    });
  });

  it('lets onnxruntime choose the threads for 0 or none', () => {
    for (const threads of [0, undefined]) {
      expect(sessionOptions({ ep: 'webgpu', threads })).toEqual({ executionProviders: ['webgpu'], graphOptimizationLevel: 'all' });
    }
  });
});

describe('openSession', () => {
  let session: InferenceSession;
  beforeAll(async () => {
    session = await openSession(EMBED, { ep: 'cpu', threads: 1 });
  });
  afterAll(async () => {
    await session?.release();
  });

  it('opens a real graph', () => {
    expect(session.inputNames).toEqual(['input_ids']);
    expect(session.outputNames).toEqual(['inputs_embeds']);
  });

  it('turns a file that is not ONNX into one MODEL_MISMATCH line naming the file and provider', async () => {
    const path = join(tmp, 'garbage.onnx');
    writeFileSync(path, 'this is not a protobuf model');
    const e = await engineErrorOf(openSession(path, { ep: 'cpu' }));
    expect(e.code).toBe('MODEL_MISMATCH');
    expect(e.message).toMatch(new RegExp(`^cannot load ${path} on the cpu provider: \\S`));
    expect(e.message).not.toContain('\n');
  });

  it('keeps only the first line of the runtime message', async () => {
    const e = await engineErrorOf(openSession('x.onnx', { ep: 'cuda' }, () => Promise.reject(new Error('first line\nstack-ish detail'))));
    expect(e.message).toBe('cannot load x.onnx on the cuda provider: first line');
  });

  // Messages as onnxruntime-node 1.30 gives them on a machine without a GPU adapter or CUDA libraries.
  const NO_ADAPTER =
    '/onnxruntime_src/onnxruntime/core/providers/webgpu/webgpu_context.cc:136 onnxruntime::webgpu::WebGpuContext::Initialize(' +
    'const onnxruntime::webgpu::WebGpuContextConfig&)::<lambda()> adapter_result.status == wgpu::RequestAdapterStatus::Success was false. ' +
    'Failed to get a WebGPU adapter: No supported adapters';
  const NO_CUDA = 'OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library';

  it.each([
    ['webgpu', NO_ADAPTER, 'Failed to get a WebGPU adapter: No supported adapters'],
    ['cuda', NO_CUDA, NO_CUDA],
  ] as const)(
    'reports a %s provider that cannot start as PROVIDER_UNAVAILABLE, without the source location',
    async (ep, message, reason) => {
      const e = await engineErrorOf(openSession('m.onnx', { ep }, () => Promise.reject(new Error(message))));
      expect(e.code).toBe('PROVIDER_UNAVAILABLE');
      expect(e.message).toBe(`the ${ep} execution provider cannot start on this machine: ${reason}`);
    },
  );

  it("keeps a model failure on a GPU provider a MODEL_MISMATCH, and another provider's trouble too", async () => {
    const parse = await engineErrorOf(
      openSession('m.onnx', { ep: 'webgpu' }, () => Promise.reject(new Error('Load model from m.onnx failed:Protobuf parsing failed.'))),
    );
    expect([parse.code, parse.message]).toEqual([
      'MODEL_MISMATCH',
      'cannot load m.onnx on the webgpu provider: Load model from m.onnx failed:Protobuf parsing failed.',
    ]);
    const other = await engineErrorOf(openSession('m.onnx', { ep: 'cpu' }, () => Promise.reject(new Error(NO_CUDA))));
    expect(other.code).toBe('MODEL_MISMATCH');
  });

  it('expectNames passes when the inputs and outputs exist', () => {
    expect(() => expectNames(session, EMBED, ['input_ids'], ['inputs_embeds'])).not.toThrow();
  });

  it('expectNames lists every missing input and output', () => {
    let error: unknown;
    try {
      expectNames(session, EMBED, ['input_ids', 'attention_mask'], ['inputs_embeds', 'logits']);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(EngineError);
    expect((error as EngineError).code).toBe('MODEL_MISMATCH');
    expect((error as EngineError).message).toBe(
      `${EMBED} does not look like this model's export: missing input 'attention_mask', output 'logits'`,
    );
  });
});
