import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InferenceSession } from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineErrorOf } from '../download/engine-error-of';
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
