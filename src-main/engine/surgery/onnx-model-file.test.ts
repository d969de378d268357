import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Tensor } from 'onnxruntime-node';
import { EXTERNALIZE_MIN_BYTES, readOnnxModel, writeOnnxModel } from './onnx-model-file';
import { decodeTensor } from './onnx-proto';
import { FileByteSource, scanFields, varintField } from './protobuf-wire';
import { createInstrumentedSession } from './instrumented-session';
import { GEMMA3_VISION, TINY_VIT, TINY_VIT_SHAPE } from '../test/surgery/graph-paths';

const dir = mkdtempSync(join(tmpdir(), 'surgery-model-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const patches = () => {
  const { patches, patchDim } = TINY_VIT_SHAPE;
  return new Tensor(
    'float32',
    Float32Array.from({ length: 2 * patches * patchDim }, (_, i) => Math.sin(i * 1.3)),
    [2, patches, patchDim],
  );
};

function fullTensor(path: string, fieldStart: number, fieldEnd: number) {
  const bytes = readFileSync(path).subarray(fieldStart, fieldEnd);
  const src = new FileByteSource(path);
  const [field] = scanFields(src, fieldStart, fieldEnd);
  src.close();
  return decodeTensor(bytes.subarray(field.valueStart - fieldStart));
}

describe('readOnnxModel', () => {
  it('reads opsets, graph inputs and outputs, nodes and initializer headers', () => {
    const model = readOnnxModel(TINY_VIT.multiHeadAttention);
    expect(model.opsets).toEqual(
      new Map([
        ['', 18],
        ['com.microsoft', 1],
      ]),
    );
    expect(model.graph.inputs.map((i) => i.name)).toEqual(['patches']);
    expect(model.graph.outputs.map((o) => o.name)).toEqual(['features']);
    expect(model.graph.nodes.filter((n) => n.opType === 'MultiHeadAttention')).toHaveLength(3);
    const qWeights = model.graph.initializers.find((e) => e.tensor.name === 'l0.q_w')!;
    expect(qWeights.tensor).toMatchObject({ dims: [32, 32], dataType: 1, rawData: undefined });
    expect(qWeights.rawData?.length).toBe(32 * 32 * 4);
  });

  it('reads a model whose weights are in .onnx_data, and the real Gemma 3 graph', () => {
    const external = readOnnxModel(TINY_VIT.multiHeadAttentionExternal);
    const qWeights = external.graph.initializers.find((e) => e.tensor.name === 'l0.q_w')!;
    expect(qWeights.rawData).toBeUndefined();
    expect(qWeights.tensor.externalData?.find((e) => e.key === 'location')?.value).toBe('model.onnx_data');
    const gemma = readOnnxModel(GEMMA3_VISION.fp32);
    expect([gemma.graph.nodes.length, gemma.graph.initializers.length, gemma.graph.valueInfo.length]).toEqual([498, 441, 938]);
  });

  it('names the file it cannot find, and calls a truncated file incomplete', () => {
    expect(() => readOnnxModel(join(dir, 'absent.onnx'))).toThrow(expect.objectContaining({ code: 'FILE_NOT_FOUND' }));
    const truncated = join(dir, 'truncated.onnx');
    writeFileSync(truncated, readFileSync(TINY_VIT.unfused).subarray(0, 5000));
    expect(() => readOnnxModel(truncated)).toThrow(
      expect.objectContaining({ code: 'MODEL_INCOMPLETE', message: expect.stringContaining(truncated) }),
    );
  });
});

describe('writeOnnxModel', () => {
  it('turns inline weights into references into the source file, at the offset of their bytes', () => {
    const model = readOnnxModel(TINY_VIT.unfused);
    const out = join(dir, 'copy.onnx');
    writeOnnxModel(model, { nodes: [], outputs: [] }, out);
    expect(statSync(out).size).toBeLessThan(statSync(TINY_VIT.unfused).size / 8);

    const copy = readOnnxModel(out);
    const source = readFileSync(TINY_VIT.unfused);
    expect(copy.graph.nodes).toEqual(model.graph.nodes);
    let external = 0;
    for (const [i, entry] of copy.graph.initializers.entries()) {
      const original = fullTensor(TINY_VIT.unfused, model.graph.initializers[i].field.start, model.graph.initializers[i].field.end);
      expect(entry.tensor.name).toBe(original.name);
      if (original.rawData!.length < EXTERNALIZE_MIN_BYTES) {
        expect(entry.tensor.dataLocation ?? 0).toBe(0);
        continue;
      }
      external++;
      const ref = Object.fromEntries(entry.tensor.externalData!.map((e) => [e.key, e.value]));
      expect(entry.tensor.dataLocation).toBe(1);
      expect(ref.location).toBe('vit-unfused-opset14.onnx');
      const bytes = source.subarray(Number(ref.offset), Number(ref.offset) + Number(ref.length));
      expect(Buffer.compare(bytes, Buffer.from(original.rawData!))).toBe(0);
    }
    // q, k, v, o, fc1, fc2 weights of 3 layers, the patch projection and the position table; biases stay inline.
    expect(external).toBe(3 * 6 + 2);
  });

  it('gives a graph that runs from the source weights exactly as the source does', async () => {
    const out = join(dir, 'runnable.onnx');
    writeOnnxModel(readOnnxModel(TINY_VIT.unfused), { nodes: [], outputs: [] }, out);
    const original = await createInstrumentedSession(
      { path: TINY_VIT.unfused, externalDataDir: dirname(TINY_VIT.unfused) },
      { intraOpNumThreads: 1 },
    );
    const copy = await createInstrumentedSession({ path: out, externalDataDir: dirname(TINY_VIT.unfused) }, { intraOpNumThreads: 1 });
    const [a, b] = [await original.run({ patches: patches() }), await copy.run({ patches: patches() })];
    expect(Array.from(b.features.data as Float32Array)).toEqual(Array.from(a.features.data as Float32Array));
  });

  it('keeps the location of weights that were external already', () => {
    const model = readOnnxModel(TINY_VIT.multiHeadAttentionExternal);
    const out = join(dir, 'external-copy.onnx');
    writeOnnxModel(model, { nodes: [], outputs: [] }, out);
    expect(readOnnxModel(out).graph.initializers.map((e) => e.tensor)).toEqual(model.graph.initializers.map((e) => e.tensor));
  });

  it('keeps fields it does not know, and appends nodes and outputs after the existing ones', () => {
    const withUnknown = join(dir, 'unknown-field.onnx');
    copyFileSync(TINY_VIT.unfused, withUnknown);
    writeFileSync(withUnknown, Buffer.concat([readFileSync(withUnknown), ...varintField(99, 4242)]));
    const model = readOnnxModel(withUnknown);
    const out = join(dir, 'unknown-field-copy.onnx');
    const extra = { input: ['features'], output: ['features_again'], name: 'again', opType: 'Identity', domain: '', attribute: [] };
    writeOnnxModel(model, { nodes: [extra], outputs: [{ name: 'features_again', type: { tensorType: { elemType: 1 } } }] }, out);

    const src = new FileByteSource(out);
    const unknown = scanFields(src, 0, src.size).find((f) => f.field === 99);
    expect(unknown && Array.from(src.read(unknown.valueStart, unknown.end - unknown.valueStart))).toEqual(
      Array.from(varintField(99, 4242)[1]),
    );
    src.close();
    const copy = readOnnxModel(out);
    expect(copy.graph.nodes.at(-1)).toEqual(extra);
    expect(copy.graph.outputs.map((o) => o.name)).toEqual(['features', 'features_again']);
  });
});
