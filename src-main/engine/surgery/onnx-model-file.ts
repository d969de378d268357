// Reads what graph surgery needs from an ONNX file (nodes, inputs, outputs, shapes, initializer
// headers and the byte offsets of their data) and writes a copy with extra nodes and outputs.
// The copy holds no weights: every initializer of 1 KiB or more stored in raw_data becomes an
// external-data reference to its bytes inside the source file, and initializers that were
// external already keep their `location`, which stays relative to the source file's folder.

import { basename } from 'node:path';
import { writeFileSync } from 'node:fs';
import { EngineError } from '../errors';
import {
  FileByteSource,
  ProtobufWireError,
  lengthDelimitedField,
  scanFields,
  varintField,
  type ByteSource,
  type WireField,
} from './protobuf-wire';
import {
  decodeNode,
  decodeOpsetId,
  decodeTensor,
  decodeValueInfo,
  encodeNode,
  encodeStringEntry,
  encodeValueInfo,
  normalizeDomain,
  type OnnxNode,
  type OnnxTensor,
  type OnnxValueInfo,
} from './onnx-proto';

// Field numbers from onnx.proto (the model-level ones are shared with small-model.ts, which builds graphs).
export const MODEL_GRAPH = 7;
export const MODEL_OPSET_IMPORT = 8;
export const GRAPH_NODE = 1;
const GRAPH_INITIALIZER = 5;
export const GRAPH_INPUT = 11;
export const GRAPH_OUTPUT = 12;
const GRAPH_VALUE_INFO = 13;
const TENSOR_RAW_DATA = 9;
const TENSOR_EXTERNAL_DATA = 13;
const TENSOR_DATA_LOCATION = 14;
// float_data, int32_data, string_data, int64_data, raw_data, double_data, uint64_data.
const TENSOR_DATA_FIELDS = new Set([4, 5, 6, 7, 9, 10, 11]);
const DATA_LOCATION_EXTERNAL = 1;

/** Smaller tensors stay inline: shape inference must read them, and they weigh nothing. */
export const EXTERNALIZE_MIN_BYTES = 1024;

export interface InitializerEntry {
  /** Header only: name, dims, data type and external-data entries, never the data. */
  tensor: OnnxTensor;
  field: WireField;
  /** Where the tensor's raw_data bytes lie in the source file, when stored inline that way. */
  rawData?: { offset: number; length: number };
}

export interface OnnxGraph {
  nodes: OnnxNode[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  valueInfo: OnnxValueInfo[];
  initializers: InitializerEntry[];
}

export interface OnnxModelFile {
  path: string;
  /** Opset version by domain, '' being the default domain. */
  opsets: Map<string, number>;
  graph: OnnxGraph;
  modelFields: WireField[];
  graphFields: WireField[];
}

export interface GraphAdditions {
  nodes: OnnxNode[];
  outputs: OnnxValueInfo[];
  /** Existing nodes, by their index in graph.nodes, each written as the given nodes in its place. */
  replacements?: ReadonlyMap<number, OnnxNode[]>;
  /** Existing graph inputs, outputs and initializers, by name, left out (a graph cut short reads, gives and
   * weighs less). */
  removedInputs?: ReadonlySet<string>;
  removedOutputs?: ReadonlySet<string>;
  removedInitializers?: ReadonlySet<string>;
}

export function readOnnxModel(path: string): OnnxModelFile {
  const src = openModel(path);
  try {
    const modelFields = scanFields(src, 0, src.size);
    const graphField = modelFields.find((f) => f.field === MODEL_GRAPH);
    if (!graphField) throw new EngineError('MODEL_INCOMPLETE', `${path} is not an ONNX model: it has no graph.`);
    const opsets = new Map<string, number>();
    for (const f of modelFields.filter((f) => f.field === MODEL_OPSET_IMPORT)) {
      const id = decodeOpsetId(valueOf(src, f));
      opsets.set(normalizeDomain(id.domain), id.version);
    }
    const graphFields = scanFields(src, graphField.valueStart, graphField.end);
    const decodeAll = <T>(field: number, decode: (bytes: Uint8Array) => T): T[] =>
      graphFields.filter((f) => f.field === field).map((f) => decode(valueOf(src, f)));
    const graph: OnnxGraph = {
      nodes: decodeAll(GRAPH_NODE, decodeNode),
      inputs: decodeAll(GRAPH_INPUT, decodeValueInfo),
      outputs: decodeAll(GRAPH_OUTPUT, decodeValueInfo),
      valueInfo: decodeAll(GRAPH_VALUE_INFO, decodeValueInfo),
      initializers: graphFields.filter((f) => f.field === GRAPH_INITIALIZER).map((f) => readInitializer(src, f)),
    };
    return { path, opsets, graph, modelFields, graphFields };
  } catch (e) {
    throw asModelError(path, e);
  } finally {
    src.close();
  }
}

/** Writes `model` plus `additions` to `destPath` (see encodeOnnxModel). */
export function writeOnnxModel(model: OnnxModelFile, additions: GraphAdditions, destPath: string): void {
  writeFileSync(destPath, encodeOnnxModel(model, additions));
}

/** The bytes of `model` plus `additions` (nodes appended after all others, outputs after the existing ones, replaced
 * nodes where they were). */
export function encodeOnnxModel(model: OnnxModelFile, additions: GraphAdditions): Buffer {
  const src = openModel(model.path);
  try {
    const initializerAt = new Map(model.graph.initializers.map((e) => [e.field.start, e]));
    const graphParts: Uint8Array[] = [];
    let nodeIndex = 0;
    let inputIndex = 0;
    let outputIndex = 0;
    for (const f of model.graphFields) {
      if (f.field === GRAPH_INPUT && additions.removedInputs?.has(model.graph.inputs[inputIndex++].name)) continue;
      if (f.field === GRAPH_OUTPUT && additions.removedOutputs?.has(model.graph.outputs[outputIndex++].name)) continue;
      const replacement = f.field === GRAPH_NODE ? additions.replacements?.get(nodeIndex++) : undefined;
      if (replacement) {
        for (const node of replacement) graphParts.push(...lengthDelimitedField(GRAPH_NODE, [encodeNode(node)]));
        continue;
      }
      const initializer = initializerAt.get(f.start);
      if (initializer && additions.removedInitializers?.has(initializer.tensor.name)) continue;
      graphParts.push(...(initializer ? initializerBytes(src, initializer, basename(model.path)) : [bytesOf(src, f)]));
    }
    for (const node of additions.nodes) graphParts.push(...lengthDelimitedField(GRAPH_NODE, [encodeNode(node)]));
    for (const output of additions.outputs) graphParts.push(...lengthDelimitedField(GRAPH_OUTPUT, [encodeValueInfo(output)]));

    const modelParts: Uint8Array[] = [];
    for (const f of model.modelFields) {
      modelParts.push(...(f.field === MODEL_GRAPH ? lengthDelimitedField(MODEL_GRAPH, graphParts) : [bytesOf(src, f)]));
    }
    return Buffer.concat(modelParts);
  } catch (e) {
    throw asModelError(model.path, e);
  } finally {
    src.close();
  }
}

function openModel(path: string): FileByteSource {
  try {
    return new FileByteSource(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new EngineError('FILE_NOT_FOUND', `No model file at ${path}.`);
    throw e;
  }
}

function asModelError(path: string, e: unknown): unknown {
  // protobufjs reports malformed messages with plain Errors (e.g. "index out of range").
  if (e instanceof ProtobufWireError || (e instanceof Error && /index out of range|invalid wire type/.test(e.message))) {
    return new EngineError('MODEL_INCOMPLETE', `${path} is not a complete ONNX model (${e.message}).`);
  }
  return e;
}

function valueOf(src: ByteSource, f: WireField): Uint8Array {
  return src.read(f.valueStart, f.end - f.valueStart);
}

function bytesOf(src: ByteSource, f: WireField): Uint8Array {
  return src.read(f.start, f.end - f.start);
}

function readInitializer(src: ByteSource, field: WireField): InitializerEntry {
  const fields = scanFields(src, field.valueStart, field.end);
  const header = fields.filter((f) => !TENSOR_DATA_FIELDS.has(f.field)).map((f) => bytesOf(src, f));
  const raw = fields.find((f) => f.field === TENSOR_RAW_DATA);
  return {
    tensor: decodeTensor(Buffer.concat(header)),
    field,
    rawData: raw && { offset: raw.valueStart, length: raw.end - raw.valueStart },
  };
}

function initializerBytes(src: ByteSource, entry: InitializerEntry, sourceFileName: string): Uint8Array[] {
  if (!entry.rawData || entry.rawData.length < EXTERNALIZE_MIN_BYTES) return [bytesOf(src, entry.field)];
  const kept = scanFields(src, entry.field.valueStart, entry.field.end)
    .filter((f) => f.field !== TENSOR_RAW_DATA && f.field !== TENSOR_EXTERNAL_DATA && f.field !== TENSOR_DATA_LOCATION)
    .map((f) => bytesOf(src, f));
  const reference = [
    ['location', sourceFileName],
    ['offset', String(entry.rawData.offset)],
    ['length', String(entry.rawData.length)],
  ].flatMap(([key, value]) => lengthDelimitedField(TENSOR_EXTERNAL_DATA, [encodeStringEntry(key, value)]));
  return lengthDelimitedField(GRAPH_INITIALIZER, [...kept, ...reference, ...varintField(TENSOR_DATA_LOCATION, DATA_LOCATION_EXTERNAL)]);
}
