import { describe, expect, it } from 'vitest';
import { countAttentionLayers, findAttentionLayers, notInstrumentable, type AttentionLayer } from './find-attention-layers';
import { readOnnxModel } from './onnx-model-file';
import { GEMMA3_VISION, TINY_VIT, TINY_VIT_SHAPE } from '../test/surgery/graph-paths';

function layersOf(path: string): AttentionLayer[] {
  const model = readOnnxModel(path);
  return findAttentionLayers(model.graph, model.opsets.get('') ?? 0);
}

describe('findAttentionLayers', () => {
  it('finds each eager layer as the Softmax that feeds the MatMul with V', () => {
    const layers = layersOf(TINY_VIT.unfused);
    expect(layers.map((l) => [l.kind, l.layer, l.kind === 'softmax' && l.probabilities])).toEqual([
      ['softmax', 0, 'l0.probs'],
      ['softmax', 1, 'l1.probs'],
      ['softmax', 2, 'l2.probs'],
    ]);
  });

  it('reads query, key, heads and scale from MultiHeadAttention (scale absent = default)', () => {
    const layers = layersOf(TINY_VIT.multiHeadAttention);
    expect(layers).toHaveLength(TINY_VIT_SHAPE.layers);
    expect(layers[0]).toMatchObject({ kind: 'fused', query: { tensor: 'l0.q' }, key: { tensor: 'l0.k' }, numHeads: 4 });
    expect(layers[0].kind === 'fused' && layers[0].scale).toBeCloseTo(8 ** -0.5, 7);
    expect(layers[1]).toMatchObject({ kind: 'fused', query: { tensor: 'l1.q' }, scale: undefined });
  });

  it('slices q and k out of the packed projection of com.microsoft:Attention', () => {
    const [first] = layersOf(TINY_VIT.packedAttention);
    expect(first).toMatchObject({
      kind: 'fused',
      numHeads: 4,
      query: { packed: { input: 'x0', weights: 'l0.qkv_w', bias: 'l0.qkv_b' }, slice: [0, 32] },
      key: { slice: [32, 64] },
    });
  });

  it('counts an op it cannot read as a layer, and says why', () => {
    const layers = layersOf(TINY_VIT.groupQueryAttention);
    expect(layers.map((l) => l.kind)).toEqual(['fused', 'unsupported', 'fused']);
    const error = notInstrumentable(layers[1] as Extract<AttentionLayer, { kind: 'unsupported' }>);
    expect(error.code).toBe('GRAPH_NOT_INSTRUMENTABLE');
    expect(error.message).toBe(
      'Cannot read attention scores from layer 1: com.microsoft:GroupQueryAttention node "l1.ctx_node": its attention probabilities cannot be recomputed from its inputs.',
    );
  });

  it('refuses a Softmax that normalises over another axis than the keys', () => {
    const [first, second] = layersOf(TINY_VIT.softmaxOverHeads);
    expect(first).toMatchObject({ kind: 'unsupported', layer: 0, reason: 'it normalises over axis 1, not over the keys (last axis)' });
    expect(second.kind).toBe('softmax');
  });

  it('finds nothing in a graph without attention', () => {
    expect(layersOf(TINY_VIT.noAttention)).toEqual([]);
  });

  it('finds the 27 MultiHeadAttention layers of the real Gemma 3 vision export, fp32 and q4', () => {
    for (const path of [GEMMA3_VISION.fp32, GEMMA3_VISION.q4]) {
      const layers = layersOf(path);
      expect(countAttentionLayers(readOnnxModel(path))).toBe(27);
      layers.forEach((layer, i) => {
        expect(layer).toMatchObject({
          kind: 'fused',
          layer: i,
          numHeads: 16,
          query: { tensor: `/model/layers.${i}/attn/q_proj/Add/output_0` },
          key: { tensor: `/model/layers.${i}/attn/k_proj/Add/output_0` },
        });
        expect(layer.kind === 'fused' && layer.scale).toBeCloseTo(72 ** -0.5, 6);
      });
    }
  });
});
