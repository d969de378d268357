// Derives, from a decoder's own ONNX file, the probe that question-dependent pruning reads: the graph cut after
// decoder layer K, whose one output is that layer's attention probabilities [batch, heads, queries, keys]. Only
// the nodes those probabilities depend on stay (the layers above K, the norm and the head go), so ranking the
// visual tokens costs a pass through K + 1 layers. Cached on disk like the other derived graphs; no weights.
import { existsSync } from 'node:fs';
import { EngineError } from '../errors';
import { writeFileAtomic } from '../storage/atomic-write';
import { derivedGraphLocation } from './derived-graph';
import { findAttentionLayers, notInstrumentable } from './find-attention-layers';
import { findStructuralProblems } from './graph-structure';
import { encodeOnnxModel, readOnnxModel, type GraphAdditions, type OnnxModelFile } from './onnx-model-file';
import { DT_FLOAT } from './onnx-proto';

export const PROBE_OUTPUT = 'attention_probs';

export interface DecoderProbe {
  /** The derived graph; open it with createInstrumentedSession. */
  path: string;
  externalDataDir: string;
  sourceSha256: string;
  fromCache: boolean;
  /** The decoder inputs the probe still reads (the cache inputs of layers 0..K among them). */
  inputs: string[];
}

export async function decoderAttentionProbe(options: {
  onnxPath: string;
  cacheDir: string;
  layer: number;
  sourceSha256?: string;
}): Promise<DecoderProbe> {
  const { layer } = options;
  const location = await derivedGraphLocation(options.onnxPath, options.cacheDir, `attention-probe-${layer}`, options.sourceSha256);
  const model = readOnnxModel(location.sourcePath);
  const additions = probeAdditions(model, layer);
  const inputs = model.graph.inputs.map((i) => i.name).filter((name) => !additions.removedInputs?.has(name));
  const fromCache = existsSync(location.cachePath);
  if (!fromCache) await writeFileAtomic(location.cachePath, encodeOnnxModel(model, additions));
  return { path: location.cachePath, externalDataDir: location.externalDataDir, sourceSha256: location.sourceSha256, fromCache, inputs };
}

/** Every node that does not lead to layer `layer`'s probabilities removed, and the probabilities the one output. */
export function probeAdditions(model: OnnxModelFile, layer: number): GraphAdditions {
  const { graph } = model;
  const notDerivable = (why: string) =>
    new EngineError('GRAPH_NOT_INSTRUMENTABLE', `${model.path}: cannot read the attention of decoder layer ${layer}: ${why}`);
  const layers = findAttentionLayers(graph, model.opsets.get('') ?? 0);
  if (!Number.isInteger(layer) || layer < 0 || layer >= layers.length) {
    throw notDerivable(`it has ${layers.length} attention layers (0..${layers.length - 1})`);
  }
  const chosen = layers[layer];
  if (chosen.kind === 'unsupported') throw notInstrumentable(chosen);
  if (chosen.kind === 'fused') {
    const op = `${chosen.node.domain}:${chosen.node.opType}`;
    // The vision surgery recomputes fused probabilities in a side branch; a decoder's fused op also applies
    // rotary embeddings and a KV cache inside, which that branch does not reproduce.
    throw notDerivable(`${op} node "${chosen.node.name}" fuses it, and the probe reads an eager Softmax only`);
  }
  const needed = new Set([chosen.probabilities]);
  const removed = new Map<number, []>();
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    const node = graph.nodes[i];
    if (!node.output.some((o) => needed.has(o))) {
      removed.set(i, []);
      continue;
    }
    for (const input of node.input) if (input) needed.add(input);
  }
  const kept = graph.nodes.filter((_, i) => !removed.has(i));
  // One fixed output name, whatever the export called the Softmax's output.
  const rename = {
    input: [chosen.probabilities],
    output: [PROBE_OUTPUT],
    name: 'vtc_probe/output',
    opType: 'Identity',
    domain: '',
    attribute: [],
  };
  const output = { name: PROBE_OUTPUT, type: { tensorType: { elemType: DT_FLOAT } } };
  const problems = findStructuralProblems({ ...graph, nodes: [...kept, rename], outputs: [output] });
  if (problems.length > 0) throw notDerivable(problems.slice(0, 3).join('; '));
  return {
    nodes: [rename],
    outputs: [output],
    replacements: removed,
    removedInputs: new Set(graph.inputs.map((i) => i.name).filter((name) => !needed.has(name))),
    removedOutputs: new Set(graph.outputs.map((o) => o.name)),
    removedInitializers: new Set(graph.initializers.map((e) => e.tensor.name).filter((name) => !needed.has(name))),
  };
}
