import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { engineErrorOf } from '../test/engine-errors';
import { fixtureDir } from '../test/paths';
import { createInstrumentedSession } from './instrumented-session';
import { lastTokenLogitsDecoder } from './last-token-logits';

const dir = mkdtempSync(join(tmpdir(), 'surgery-last-token-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const DECODER = join(fixtureDir('tiny-smolvlm'), 'onnx', 'decoder_model_merged.onnx');
// The fixture's text model: 2 layers, 2 KV heads of 8, hidden 32.
const LAYERS = 2;

function feeds(seq: number, past: number): Record<string, Tensor> {
  const f: Record<string, Tensor> = {
    inputs_embeds: new Tensor(
      'float32',
      Float32Array.from({ length: seq * 32 }, (_, i) => Math.sin(i * 0.37)),
      [1, seq, 32],
    ),
    attention_mask: new Tensor('int64', new BigInt64Array(past + seq).fill(1n), [1, past + seq]),
    position_ids: new Tensor(
      'int64',
      BigInt64Array.from({ length: seq }, (_, i) => BigInt(past + i)),
      [1, seq],
    ),
  };
  for (let l = 0; l < LAYERS; l++) {
    for (const kind of ['key', 'value']) {
      f[`past_key_values.${l}.${kind}`] = new Tensor(
        'float32',
        Float32Array.from({ length: 2 * past * 8 }, (_, i) => Math.cos(i + l)),
        [1, 2, past, 8],
      );
    }
  }
  return f;
}

describe('lastTokenLogitsDecoder', () => {
  it.each([
    [7, 0],
    [1, 5],
  ])('gives the last row of the full logits and the same cache (%i new tokens after %i cached)', async (seq, past) => {
    const derived = await lastTokenLogitsDecoder({ onnxPath: DECODER, cacheDir: join(dir, 'cache') });
    const [plain, last] = [await InferenceSession.create(DECODER), await createInstrumentedSession(derived)];
    try {
      const [full, cut] = [await plain.run(feeds(seq, past)), await last.run(feeds(seq, past))];
      const vocab = full.logits.dims[2];
      expect(cut.logits.dims).toEqual([1, 1, vocab]);
      const lastRow = (full.logits.data as Float32Array).subarray((seq - 1) * vocab);
      const got = cut.logits.data as Float32Array;
      let worst = 0;
      for (let i = 0; i < vocab; i++) worst = Math.max(worst, Math.abs(got[i] - lastRow[i]));
      expect(worst).toBeLessThan(1e-5);
      for (const name of plain.outputNames.filter((n) => n.startsWith('present.'))) {
        expect(Array.from(cut[name].data as Float32Array)).toEqual(Array.from(full[name].data as Float32Array));
      }
    } finally {
      await Promise.all([plain.release(), last.release()]);
    }
  });

  it('reuses the derived graph for the same file', async () => {
    const cacheDir = join(dir, 'reuse');
    const first = await lastTokenLogitsDecoder({ onnxPath: DECODER, cacheDir });
    const second = await lastTokenLogitsDecoder({ onnxPath: DECODER, cacheDir });
    expect([first.fromCache, second.fromCache, second.path]).toEqual([false, true, first.path]);
  });

  it('says why for a graph without logits', async () => {
    const encoder = join(fixtureDir('tiny-smolvlm'), 'onnx', 'vision_encoder.onnx');
    const e = await engineErrorOf(lastTokenLogitsDecoder({ onnxPath: encoder, cacheDir: join(dir, 'cache') }));
    expect([e.code, e.message]).toEqual([
      'GRAPH_NOT_INSTRUMENTABLE',
      `${encoder}: cannot compute the last position's logits alone: it has no 'logits' output`,
    ]);
  });
});
