// Finds the attention blocks of a vision encoder graph, in node order (ONNX requires nodes to be
// topologically sorted, and transformer layers depend on each other, so node order is layer order).
// Pure: it looks at decoded nodes and shapes only.

import { EngineError } from '../errors';
import { normalizeDomain, type OnnxAttribute, type OnnxNode } from './onnx-proto';
import type { OnnxGraph, OnnxModelFile } from './onnx-model-file';

/** Slice [start, end) of the last axis of `tensor`. */
export interface LastAxisSlice {
  tensor: string;
  start: number;
  end: number;
}

interface LayerBase {
  layer: number;
  node: OnnxNode;
}

/** Eager attention: the Softmax output is the probabilities [batch, heads, queries, keys]. */
export interface SoftmaxLayer extends LayerBase {
  kind: 'softmax';
  probabilities: string;
}

/** A fused op: probabilities are recomputed from query and key [batch, seq, hidden]. */
export interface FusedLayer extends LayerBase {
  kind: 'fused';
  /** Either a tensor as it is, or a slice of the packed QKV projection (com.microsoft:Attention). */
  query: { tensor: string; bias?: LastAxisSlice } | { packed: PackedProjection; slice: [number, number] };
  key: { tensor: string; bias?: LastAxisSlice } | { packed: PackedProjection; slice: [number, number] };
  numHeads: number;
  /** Undefined means the op's default, 1 / sqrt(head size). */
  scale?: number;
  /** Added to the scaled scores before the softmax, broadcast to [batch, heads, queries, keys]. */
  attentionBias?: string;
}

/** com.microsoft:Attention computes input x weights (+ bias) = [q | k | v] along the last axis. */
export interface PackedProjection {
  input: string;
  weights: string;
  bias?: string;
}

/** An attention op this code cannot read probabilities from; an error only if the layer is chosen. */
export interface UnsupportedLayer extends LayerBase {
  kind: 'unsupported';
  reason: string;
}

export type AttentionLayer = SoftmaxLayer | FusedLayer | UnsupportedLayer;

// Attention ops that hide their probabilities in ways not recomputed here.
const OTHER_ATTENTION_OPS = new Set([
  'com.microsoft:GroupQueryAttention',
  'com.microsoft:PackedAttention',
  'com.microsoft:PackedMultiHeadAttention',
  'com.microsoft:DecoderMaskedMultiHeadAttention',
  'com.microsoft:DecoderMaskedSelfAttention',
  'com.microsoft:SparseAttention',
  'com.microsoft:LongformerAttention',
  'com.microsoft:QAttention',
  'com.microsoft:QOrderedAttention',
  ':Attention',
]);

// Between the Softmax and the MatMul with V, exports may cast back to the compute type or keep an
// inference-time no-op.
const PASS_THROUGH_OPS = new Set(['Cast', 'Identity', 'Dropout']);

export function countAttentionLayers(model: OnnxModelFile): number {
  return findAttentionLayers(model.graph, model.opsets.get('') ?? 0).length;
}

export function findAttentionLayers(graph: OnnxGraph, defaultOpset: number): AttentionLayer[] {
  const context = new GraphContext(graph);
  const layers: AttentionLayer[] = [];
  for (const node of graph.nodes) {
    const layer = layers.length;
    const key = `${normalizeDomain(node.domain)}:${node.opType}`;
    if (key === ':Softmax') {
      const found = softmaxLayer(node, layer, context, defaultOpset);
      if (found) layers.push(found);
    } else if (key === 'com.microsoft:MultiHeadAttention') {
      layers.push(multiHeadAttentionLayer(node, layer, context));
    } else if (key === 'com.microsoft:Attention') {
      layers.push(packedAttentionLayer(node, layer, context));
    } else if (OTHER_ATTENTION_OPS.has(key)) {
      layers.push(unsupported(node, layer, 'its attention probabilities cannot be recomputed from its inputs'));
    }
  }
  return layers;
}

/** The error for a chosen layer that cannot be instrumented. */
export function notInstrumentable(layer: UnsupportedLayer): EngineError {
  const op = layer.node.domain ? `${layer.node.domain}:${layer.node.opType}` : layer.node.opType;
  return new EngineError(
    'GRAPH_NOT_INSTRUMENTABLE',
    `Cannot read attention scores from layer ${layer.layer}: ${op} node "${layer.node.name}": ${layer.reason}.`,
  );
}

class GraphContext {
  readonly consumers = new Map<string, { node: OnnxNode; index: number }[]>();
  readonly ranks = new Map<string, number>();
  /** Static size of the last axis, where the graph states it. */
  readonly lastDims = new Map<string, number>();

  constructor(graph: OnnxGraph) {
    for (const node of graph.nodes) {
      node.input.forEach((name, index) => {
        if (!name) return;
        const list = this.consumers.get(name) ?? [];
        list.push({ node, index });
        this.consumers.set(name, list);
      });
    }
    for (const info of [...graph.inputs, ...graph.valueInfo, ...graph.outputs]) {
      const dim = info.type?.tensorType?.shape?.dim;
      if (!dim) continue;
      this.ranks.set(info.name, dim.length);
      const last = dim[dim.length - 1]?.dimValue;
      if (last) this.lastDims.set(info.name, last);
    }
    for (const { tensor } of graph.initializers) {
      this.ranks.set(tensor.name, tensor.dims.length);
      if (tensor.dims.length) this.lastDims.set(tensor.name, tensor.dims[tensor.dims.length - 1]);
    }
  }
}

function softmaxLayer(node: OnnxNode, layer: number, context: GraphContext, defaultOpset: number): AttentionLayer | undefined {
  if (!feedsMatMulAsLeftOperand(node.output[0], context)) return undefined;
  const rank = context.ranks.get(node.output[0]);
  if (rank !== undefined && rank !== 4) {
    return unsupported(node, layer, `its probabilities have rank ${rank}, expected [batch, heads, queries, keys]`);
  }
  // Before opset 13 the default axis is 1 (and flattens from there); from 13 it is -1.
  const axis = intAttr(node.attribute, 'axis') ?? (defaultOpset >= 13 ? -1 : 1);
  if (axis !== -1 && axis !== 3) {
    return unsupported(node, layer, `it normalises over axis ${axis}, not over the keys (last axis)`);
  }
  return { kind: 'softmax', layer, node, probabilities: node.output[0] };
}

function feedsMatMulAsLeftOperand(tensor: string, context: GraphContext): boolean {
  return (context.consumers.get(tensor) ?? []).some(({ node, index }) => {
    if (normalizeDomain(node.domain) !== '') return false;
    if (node.opType === 'MatMul') return index === 0;
    return PASS_THROUGH_OPS.has(node.opType) && feedsMatMulAsLeftOperand(node.output[0], context);
  });
}

function multiHeadAttentionLayer(node: OnnxNode, layer: number, context: GraphContext): AttentionLayer {
  const [query, key, , bias, keyPaddingMask, attentionBias, pastKey, pastValue] = node.input;
  const numHeads = intAttr(node.attribute, 'num_heads');
  if (!numHeads) return unsupported(node, layer, 'it has no num_heads attribute');
  if (!key) return unsupported(node, layer, 'its query input packs q, k and v together');
  for (const [name, what] of [
    [query, 'query'],
    [key, 'key'],
  ] as const) {
    const rank = context.ranks.get(name);
    if (rank !== undefined && rank !== 3) return unsupported(node, layer, `its ${what} has rank ${rank}, expected [batch, seq, hidden]`);
  }
  if (keyPaddingMask) return unsupported(node, layer, 'it uses a key_padding_mask');
  if (pastKey || pastValue) return unsupported(node, layer, 'it reads a past key/value cache');
  if (intAttr(node.attribute, 'unidirectional')) return unsupported(node, layer, 'it is causal (unidirectional)');
  const common = { kind: 'fused' as const, layer, node, numHeads, scale: scaleAttr(node), attentionBias: attentionBias || undefined };
  if (!bias) return { ...common, query: { tensor: query }, key: { tensor: key } };
  // bias = [q | k | v] biases; q and k share the hidden size (an ORT requirement).
  const hidden = context.lastDims.get(query) ?? dividedByThree(context.lastDims.get(bias));
  if (!hidden) return unsupported(node, layer, 'the size of its packed bias is unknown');
  return {
    ...common,
    query: { tensor: query, bias: { tensor: bias, start: 0, end: hidden } },
    key: { tensor: key, bias: { tensor: bias, start: hidden, end: 2 * hidden } },
  };
}

function packedAttentionLayer(node: OnnxNode, layer: number, context: GraphContext): AttentionLayer {
  const [input, weights, bias, maskIndex, past, attentionBias, pastSequenceLength] = node.input;
  const numHeads = intAttr(node.attribute, 'num_heads');
  if (!numHeads) return unsupported(node, layer, 'it has no num_heads attribute');
  if (maskIndex) return unsupported(node, layer, 'it uses a mask_index');
  if (past || pastSequenceLength) return unsupported(node, layer, 'it reads a past key/value cache');
  if (intAttr(node.attribute, 'unidirectional')) return unsupported(node, layer, 'it is causal (unidirectional)');
  if (intAttr(node.attribute, 'do_rotary')) return unsupported(node, layer, 'it applies rotary embeddings inside');
  const sizes = node.attribute.find((a) => a.name === 'qkv_hidden_sizes')?.ints;
  const equal = dividedByThree(context.lastDims.get(weights));
  const [qHidden, kHidden] = sizes && sizes.length === 3 ? sizes : [equal, equal];
  if (!qHidden || !kHidden) return unsupported(node, layer, 'the sizes of its packed q/k/v weights are unknown');
  const packed: PackedProjection = { input, weights, bias: bias || undefined };
  return {
    kind: 'fused',
    layer,
    node,
    numHeads,
    scale: scaleAttr(node),
    attentionBias: attentionBias || undefined,
    query: { packed, slice: [0, qHidden] },
    key: { packed, slice: [qHidden, qHidden + kHidden] },
  };
}

function unsupported(node: OnnxNode, layer: number, reason: string): UnsupportedLayer {
  return { kind: 'unsupported', layer, node, reason };
}

function intAttr(attributes: OnnxAttribute[], name: string): number | undefined {
  return attributes.find((a) => a.name === name)?.i;
}

/** ORT reads scale = 0 (or absent) as 1 / sqrt(head size). */
function scaleAttr(node: OnnxNode): number | undefined {
  const scale = node.attribute.find((a) => a.name === 'scale')?.f;
  return scale ? scale : undefined;
}

function dividedByThree(size: number | undefined): number | undefined {
  return size !== undefined && size > 0 && size % 3 === 0 ? size / 3 : undefined;
}
