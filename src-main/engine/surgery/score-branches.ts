// Builds the nodes that reduce each chosen layer's attention probabilities to one score vector per
// image (or tile), computed inside the graph so that a run returns [batch, tokens] per layer instead
// of [batch, heads, tokens, tokens]. Pure: layers in, nodes and outputs out.

import { ATTR_TENSOR, DT_FLOAT } from './onnx-proto';
import { INT64_MAX, intAttr, intsAttr, NodeWriter } from './node-writer';
import type { FusedLayer, SoftmaxLayer } from './find-attention-layers';
import type { GraphAdditions } from './onnx-model-file';
import { ATTENTION_KINDS, type AttentionKind } from '../pruning/types';

// What each kind's branch outputs:
// cls: the [CLS] query's row, mean over heads, [CLS] column dropped -> [batch, tokens - 1].
// received: attention each token receives, mean over heads and queries -> [batch, tokens], or
// [batch, tokens - 1] with the [CLS] column dropped when the encoder has a [CLS] token.
export interface ScoreBranchOptions {
  kinds: readonly AttentionKind[];
  /** Token 0 is a [CLS] token: cls kind reads its row, and no kind scores it as a patch. */
  clsToken: boolean;
}

/** Every output the branches add is `attn_<kind>.<layer>`. */
export const SCORE_OUTPUT_PREFIX = 'attn_';
const SCORE_OUTPUT = new RegExp(`^${SCORE_OUTPUT_PREFIX}(${ATTENTION_KINDS.join('|')})\\.(\\d+)$`);
/** Every tensor the branches add starts with this, so clashes with the model's names are easy to check. */
export const BRANCH_TENSOR_PREFIX = 'vtc_attn/';

export function scoreOutputName(kind: AttentionKind, layer: number): string {
  return `${SCORE_OUTPUT_PREFIX}${kind}.${layer}`;
}

/** The kind and layer of a score output, or undefined for any other name. */
export function parseScoreOutputName(name: string): { kind: AttentionKind; layer: number } | undefined {
  const m = SCORE_OUTPUT.exec(name);
  return m ? { kind: m[1] as AttentionKind, layer: Number(m[2]) } : undefined;
}

export function buildScoreBranches(
  layers: (SoftmaxLayer | FusedLayer)[],
  options: ScoreBranchOptions,
  defaultOpset: number,
): GraphAdditions {
  const writer = new NodeWriter(defaultOpset, BRANCH_TENSOR_PREFIX);
  // onnxruntime orders a graph by a depth-first walk back from its leaf nodes, taking the last leaf first. Each
  // branch ends in a leaf: written last-layer-first, the first layer's branch is walked first, so every branch
  // runs right after its own layer and its probabilities are released before the next layer makes new ones.
  // Written in layer order, all branches ran after the last layer and every chosen layer's [batch, heads,
  // seq, seq] probabilities stayed alive until then (13 GB for 12 layers of a 13-tile SmolVLM photo).
  for (const layer of [...layers].reverse()) {
    writer.scope = `L${layer.layer}`;
    // A fused layer that only needs the [CLS] row recomputes that row alone: heads x tokens, not tokens².
    const clsRowOnly = options.kinds.every((kind) => kind === 'cls');
    const probabilities =
      layer.kind === 'softmax'
        ? writer.add('Cast', [layer.probabilities], [intAttr('to', DT_FLOAT)])
        : recomputeProbabilities(writer, layer, clsRowOnly);
    for (const kind of options.kinds) reduce(writer, probabilities, kind, options.clsToken, scoreOutputName(kind, layer.layer));
  }
  const outputs: GraphAdditions['outputs'] = layers.flatMap((layer) =>
    options.kinds.map((kind) => ({
      name: scoreOutputName(kind, layer.layer),
      type: { tensorType: { elemType: DT_FLOAT, shape: { dim: [{ dimParam: 'batch' }, { dimParam: 'attn_scores_tokens' }] } } },
    })),
  );
  return { nodes: writer.nodes, outputs };
}

function reduce(writer: NodeWriter, probabilities: string, kind: AttentionKind, clsToken: boolean, output: string): void {
  if (kind === 'received') {
    const received = writer.reduceMean(meanOverQueries(writer, probabilities), [1, 2], clsToken ? undefined : output);
    if (clsToken) dropFirstColumn(writer, received, output);
    return;
  }
  const clsRow = writer.add('Gather', [probabilities, writer.int64([], [0])], [intAttr('axis', 2)]);
  dropFirstColumn(writer, writer.reduceMean(clsRow, [1]), output);
}

/**
 * p [batch, heads, queries, keys] -> [batch, heads, 1, keys], the mean over queries, as a row of 1/queries times
 * p: one pass of onnxruntime's matrix multiply. A ReduceMean over the queries axis took 0.6 s per layer and tile.
 */
function meanOverQueries(writer: NodeWriter, probabilities: string): string {
  const queries = writer.add('Gather', [writer.add('Shape', [probabilities]), writer.int64([1], [2])], [intAttr('axis', 0)]);
  const ones = writer.add(
    'ConstantOfShape',
    [writer.add('Concat', [writer.int64([1], [1]), queries], [intAttr('axis', 0)])],
    [
      {
        name: 'value',
        type: ATTR_TENSOR,
        t: { name: 'one', dims: [1], dataType: DT_FLOAT, rawData: new Uint8Array(Float32Array.of(1).buffer) },
      },
    ],
  );
  const row = writer.add('Div', [ones, writer.add('Cast', [queries], [intAttr('to', DT_FLOAT)])]);
  return writer.add('MatMul', [row, probabilities]);
}

/** [batch, tokens] -> [batch, tokens - 1]: the [CLS] token's own column is not a patch. */
function dropFirstColumn(writer: NodeWriter, scores: string, output: string): void {
  writer.add('Slice', [scores, writer.int64([1], [1]), writer.int64([1], [INT64_MAX]), writer.int64([1], [1])], [], output);
}

/** Softmax(q kᵀ · scale + bias) per head, in float32 whatever the model computes in; only query 0 with `clsRowOnly`. */
function recomputeProbabilities(writer: NodeWriter, layer: FusedLayer, clsRowOnly: boolean): string {
  let q = splitHeads(writer, projection(writer, layer.query), layer.numHeads, [0, 2, 1, 3]);
  if (clsRowOnly) q = firstRow(writer, q);
  const kT = splitHeads(writer, projection(writer, layer.key), layer.numHeads, [0, 2, 3, 1]);
  const scores = writer.add('MatMul', [q, kT]);
  let scaled = writer.add('Mul', [scores, layer.scale === undefined ? defaultScale(writer, q) : writer.float32(layer.scale)]);
  if (layer.attentionBias) {
    // The bias is [batch or 1, heads or 1, queries or 1, keys]: its row 0 serves query 0 either way.
    const bias = writer.add('Cast', [layer.attentionBias], [intAttr('to', DT_FLOAT)]);
    scaled = writer.add('Add', [scaled, clsRowOnly ? firstRow(writer, bias) : bias]);
  }
  return writer.add('Softmax', [scaled], [intAttr('axis', -1)]);
}

/** [batch, heads, queries, x] -> [batch, heads, 1, x]. */
function firstRow(writer: NodeWriter, tensor: string): string {
  return writer.add('Slice', [tensor, writer.int64([1], [0]), writer.int64([1], [1]), writer.int64([1], [2])]);
}

function projection(writer: NodeWriter, source: FusedLayer['query']): string {
  if ('packed' in source) {
    const { input, weights, bias } = source.packed;
    let qkv = writer.add('MatMul', [input, weights]);
    if (bias) qkv = writer.add('Add', [qkv, bias]);
    return writer.add('Cast', [lastAxisSlice(writer, qkv, source.slice[0], source.slice[1])], [intAttr('to', DT_FLOAT)]);
  }
  let tensor = source.tensor;
  if (source.bias) tensor = writer.add('Add', [tensor, lastAxisSlice(writer, source.bias.tensor, source.bias.start, source.bias.end)]);
  return writer.add('Cast', [tensor], [intAttr('to', DT_FLOAT)]);
}

function lastAxisSlice(writer: NodeWriter, tensor: string, start: number, end: number): string {
  return writer.add('Slice', [tensor, writer.int64([1], [start]), writer.int64([1], [end]), writer.int64([1], [-1])]);
}

/** [batch, seq, hidden] -> [batch, seq, heads, head size], then transposed by `perm`. */
function splitHeads(writer: NodeWriter, tensor: string, heads: number, perm: number[]): string {
  const split = writer.add('Reshape', [tensor, writer.int64([4], [0, 0, heads, -1])]);
  return writer.add('Transpose', [split], [intsAttr('perm', perm)]);
}

/** 1 / sqrt(head size), with the head size read from q [batch, heads, seq, head size] at run time. */
function defaultScale(writer: NodeWriter, q: string): string {
  const headSize = writer.add('Gather', [writer.add('Shape', [q]), writer.int64([], [3])], [intAttr('axis', 0)]);
  return writer.add('Reciprocal', [writer.add('Sqrt', [writer.add('Cast', [headSize], [intAttr('to', DT_FLOAT)])])]);
}
