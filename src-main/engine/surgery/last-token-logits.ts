// Derives, from a decoder's own ONNX file, a graph whose `logits` hold the last position only: the language-model
// head multiplies just that position's hidden state. Generation reads nothing else, and the head over every prompt
// position is the largest single cost of a prefill (SmolVLM-256M: 1,100 positions x 576 x 49,280 multiply-adds and
// a 217 MB output). Cached on disk like the instrumented encoders, and like them it holds no weights.
import { existsSync } from 'node:fs';
import { EngineError } from '../errors';
import { writeFileAtomic } from '../storage/atomic-write';
import { derivedGraphLocation } from './derived-graph';
import { findStructuralProblems } from './graph-structure';
import { encodeOnnxModel, readOnnxModel, type GraphAdditions, type OnnxModelFile } from './onnx-model-file';
import { INT64_MAX, NodeWriter } from './node-writer';
import { normalizeDomain } from './onnx-proto';

export interface LastTokenDecoder {
  /** The derived graph; open it with createInstrumentedSession. */
  path: string;
  externalDataDir: string;
  sourceSha256: string;
  fromCache: boolean;
}

const LOGITS = 'logits';
const TENSOR_PREFIX = 'vtc_last/';
/** Ops that apply the head to [batch, sequence, hidden] activations as their first input. */
const HEAD_OPS = new Set([':MatMul', 'com.microsoft:MatMulNBits']);
// Slice with axes as an input.
const MIN_OPSET = 10;

export async function lastTokenLogitsDecoder(options: {
  onnxPath: string;
  cacheDir: string;
  sourceSha256?: string;
}): Promise<LastTokenDecoder> {
  const location = await derivedGraphLocation(options.onnxPath, options.cacheDir, 'last-token-logits', options.sourceSha256);
  const { cachePath, externalDataDir, sourceSha256 } = location;
  const fromCache = existsSync(cachePath);
  if (!fromCache) {
    const model = readOnnxModel(location.sourcePath);
    await writeFileAtomic(cachePath, encodeOnnxModel(model, lastTokenAdditions(model)));
  }
  return { path: cachePath, externalDataDir, sourceSha256, fromCache };
}

/** The head's node replaced by a Slice of its input's last position and the head on that. */
function lastTokenAdditions(model: OnnxModelFile): GraphAdditions {
  const { graph } = model;
  const notDerivable = (why: string) =>
    new EngineError('GRAPH_NOT_INSTRUMENTABLE', `${model.path}: cannot compute the last position's logits alone: ${why}`);
  if (!graph.outputs.some((o) => o.name === LOGITS)) throw notDerivable(`it has no '${LOGITS}' output`);
  const opset = model.opsets.get('') ?? 0;
  if (opset < MIN_OPSET) throw notDerivable(`it uses opset ${opset}`);
  const index = graph.nodes.findIndex((n) => n.output.includes(LOGITS));
  const head = graph.nodes[index];
  const op = `${normalizeDomain(head?.domain ?? '')}:${head?.opType}`;
  if (!head || !HEAD_OPS.has(op)) throw notDerivable(`'${LOGITS}' comes from ${head ? op : 'no node'}, not a MatMul`);

  const writer = new NodeWriter(opset, TENSOR_PREFIX);
  // [batch, sequence, hidden] -> [batch, 1, hidden]: the last position, whatever the sequence length.
  const last = writer.add('Slice', [head.input[0], writer.int64([1], [-1]), writer.int64([1], [INT64_MAX]), writer.int64([1], [1])]);
  const replacement = [...writer.nodes, { ...head, input: [last, ...head.input.slice(1)] }];
  const nodes = graph.nodes.flatMap((n, i) => (i === index ? replacement : [n]));
  const problems = findStructuralProblems({ ...graph, nodes });
  if (problems.length > 0) throw notDerivable(problems.slice(0, 3).join('; '));
  return { nodes: [], outputs: [], replacements: new Map([[index, replacement]]) };
}
