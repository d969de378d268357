// Derives, from a vision encoder's own ONNX file, a graph that also outputs one attention score
// vector per image (or tile) for each chosen layer, and caches it on disk by the file's content.
//
// The instrumented file holds no weights. It points at them where they already are: inline
// initializers become external-data references into the source .onnx itself (at the offset of
// their raw bytes), external ones keep their `location`. Both resolve against the source file's
// folder, which ORT only allows when told so: open the result with createInstrumentedSession.

import { existsSync } from 'node:fs';
import { EngineError } from '../errors';
import { writeFileAtomic } from '../storage/atomic-write';
import { countAttentionLayers, findAttentionLayers, notInstrumentable, type AttentionLayer } from './find-attention-layers';
import { derivedGraphLocation } from './derived-graph';
import { findStructuralProblems } from './graph-structure';
import { encodeOnnxModel, readOnnxModel, type GraphAdditions, type OnnxModelFile } from './onnx-model-file';
import { ATTENTION_KINDS } from '../pruning/types';
import {
  BRANCH_TENSOR_PREFIX,
  SCORE_OUTPUT_PREFIX,
  buildScoreBranches,
  parseScoreOutputName,
  type ScoreBranchOptions,
} from './score-branches';

export interface InstrumentOptions extends ScoreBranchOptions {
  onnxPath: string;
  /** Attention layer indices in node order (0 = closest to the pixels), or every layer. */
  layers: number[] | 'all';
  cacheDir: string;
  /** sha256 of the file at onnxPath, when the caller has it already (hashing a large encoder takes a while). */
  sourceSha256?: string;
}

export interface InstrumentedEncoder {
  /** The instrumented graph; open it with createInstrumentedSession. */
  path: string;
  /** The source model's folder, against which the external-data references resolve. */
  externalDataDir: string;
  /** `attn_<kind>.<layer>` outputs (float32 [batch, tokens]), per layer ascending, kinds in the order asked. */
  outputNames: string[];
  /** The instrumented layers, ascending. */
  layers: number[];
  /** Attention layers found in the source graph. */
  layerCount: number;
  /** sha256 of the source .onnx (the cache key), so callers need not hash a large file again. */
  sourceSha256: string;
  fromCache: boolean;
}

// ReduceMean with axes as input, Slice with negative axes, Softmax on the last axis.
const MIN_DEFAULT_OPSET = 11;
/** Part of every cached graph's name: a change to what the branches compute or where they run must miss old entries. */
const BRANCH_FORMAT = 'b2';

export async function instrumentVisionEncoder(options: InstrumentOptions): Promise<InstrumentedEncoder> {
  const branches = normalizeBranches(options);
  const requested = normalizeLayers(options.layers);
  const variant = [
    branches.kinds.join('+'),
    branches.clsToken ? 'with-cls' : 'no-cls',
    requested === 'all' ? 'all' : requested.join('_'),
    BRANCH_FORMAT,
  ];
  const location = await derivedGraphLocation(options.onnxPath, options.cacheDir, variant.join('-'), options.sourceSha256);
  const { sourcePath: onnxPath, cachePath, externalDataDir, sourceSha256: hash } = location;

  if (existsSync(cachePath)) {
    return { ...describeInstrumented(readOnnxModel(cachePath)), path: cachePath, externalDataDir, sourceSha256: hash, fromCache: true };
  }

  const model = readOnnxModel(onnxPath);
  const { additions, layers, layerCount } = instrumentGraph(model, requested, branches);
  // Atomic, so a crash never leaves a half-written cache entry; a full disk is DISK_FULL.
  await writeFileAtomic(cachePath, encodeOnnxModel(model, additions));
  const outputNames = additions.outputs.map((o) => o.name);
  return { path: cachePath, externalDataDir, outputNames, layers, layerCount, sourceSha256: hash, fromCache: false };
}

/** The nodes and outputs to add to `model` (pure apart from what `model` already holds). */
function instrumentGraph(
  model: OnnxModelFile,
  requested: number[] | 'all',
  branches: ScoreBranchOptions,
): { additions: GraphAdditions; layers: number[]; layerCount: number } {
  const opset = model.opsets.get('') ?? 0;
  if (opset < MIN_DEFAULT_OPSET) {
    throw new EngineError(
      'GRAPH_NOT_INSTRUMENTABLE',
      `${model.path} uses opset ${opset}; instrumenting needs opset ${MIN_DEFAULT_OPSET} or newer.`,
    );
  }
  const found = findAttentionLayers(model.graph, opset);
  if (found.length === 0) {
    throw new EngineError(
      'GRAPH_NOT_INSTRUMENTABLE',
      `${model.path} has no attention layers (no Softmax feeding a MatMul, no com.microsoft MultiHeadAttention or Attention).`,
    );
  }
  const chosen = requested === 'all' ? found : requested.map((i) => layerAt(found, i, model.path));
  const instrumentable = chosen.map((layer) => {
    if (layer.kind === 'unsupported') throw notInstrumentable(layer);
    return layer;
  });
  const additions = buildScoreBranches(instrumentable, branches, opset);
  assertNoNameClash(model, additions);
  const problems = findStructuralProblems({
    ...model.graph,
    nodes: [...model.graph.nodes, ...additions.nodes],
    outputs: [...model.graph.outputs, ...additions.outputs],
  });
  if (problems.length > 0) {
    throw new EngineError(
      'GRAPH_NOT_INSTRUMENTABLE',
      `The instrumented graph of ${model.path} would be invalid: ${problems.slice(0, 3).join('; ')}.`,
    );
  }
  return { additions, layers: chosen.map((l) => l.layer), layerCount: found.length };
}

function normalizeBranches({ kinds, clsToken }: ScoreBranchOptions): ScoreBranchOptions {
  if (!Array.isArray(kinds) || kinds.length === 0)
    throw new EngineError('BAD_ARGUMENT', 'Choose at least one attention kind: cls or received.');
  const unknown = kinds.find((k) => !ATTENTION_KINDS.includes(k));
  if (unknown !== undefined) throw new EngineError('BAD_ARGUMENT', `Unknown attention kind "${String(unknown)}": use cls or received.`);
  if (kinds.includes('cls') && !clsToken)
    throw new EngineError('BAD_ARGUMENT', 'The cls attention kind needs an encoder with a [CLS] token.');
  return { kinds: ATTENTION_KINDS.filter((k) => kinds.includes(k)), clsToken: clsToken === true };
}

function normalizeLayers(layers: number[] | 'all'): number[] | 'all' {
  if (layers === 'all') return layers;
  if (!Array.isArray(layers) || layers.length === 0) {
    throw new EngineError('BAD_ARGUMENT', 'Choose at least one attention layer, or "all".');
  }
  for (const layer of layers) {
    if (!Number.isInteger(layer) || layer < 0)
      throw new EngineError('BAD_ARGUMENT', `Layer ${String(layer)} is not a layer index (0, 1, 2, ...).`);
  }
  return [...new Set(layers)].sort((a, b) => a - b);
}

function layerAt(found: AttentionLayer[], index: number, path: string): AttentionLayer {
  if (index >= found.length) {
    throw new EngineError(
      'BAD_ARGUMENT',
      `Layer ${index} does not exist: ${path} has ${found.length} attention layers (0..${found.length - 1}).`,
    );
  }
  return found[index];
}

function assertNoNameClash(model: OnnxModelFile, additions: GraphAdditions): void {
  const existing = new Set([
    ...model.graph.nodes.flatMap((n) => n.output),
    ...model.graph.inputs.map((i) => i.name),
    ...model.graph.outputs.map((o) => o.name),
    ...model.graph.initializers.map((e) => e.tensor.name),
  ]);
  const clash = [...additions.nodes.flatMap((n) => n.output), ...additions.outputs.map((o) => o.name)].find((name) => existing.has(name));
  if (clash) {
    throw new EngineError(
      'GRAPH_NOT_INSTRUMENTABLE',
      `${model.path} already has a tensor named "${clash}" (names starting ${BRANCH_TENSOR_PREFIX} or ${SCORE_OUTPUT_PREFIX} are reserved): is it an instrumented graph?`,
    );
  }
}

/** What an instrumented graph (e.g. one found in the cache) offers. */
function describeInstrumented(model: OnnxModelFile): Pick<InstrumentedEncoder, 'outputNames' | 'layers' | 'layerCount'> {
  const outputNames = model.graph.outputs.map((o) => o.name).filter((name) => parseScoreOutputName(name));
  return {
    outputNames,
    layers: [...new Set(outputNames.map((name) => parseScoreOutputName(name)!.layer))],
    // The side branches hold no Softmax feeding a MatMul, so only the source's layers are counted.
    layerCount: countAttentionLayers(model),
  };
}
