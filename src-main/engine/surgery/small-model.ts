// A whole ONNX model written from a handful of nodes, in memory: for graphs the engine makes itself (the
// provider check, the image processor's pixel graph) rather than derives from a model file.
import { GRAPH_INPUT, GRAPH_NODE, GRAPH_OUTPUT, MODEL_GRAPH, MODEL_OPSET_IMPORT } from './onnx-model-file';
import { encodeNode, encodeValueInfo, type OnnxNode, type OnnxValueInfo } from './onnx-proto';
import { lengthDelimitedField, varintField } from './protobuf-wire';

// The other field numbers of onnx.proto a model needs: ModelProto.ir_version, GraphProto.name, OperatorSetIdProto.version.
const MODEL_IR_VERSION = 1;
const GRAPH_NAME = 2;
const OPSET_VERSION = 2;

export interface SmallModel {
  name: string;
  nodes: OnnxNode[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
}

/** The model's bytes at IR version 8 and opset 17 of the default domain: what every onnxruntime 1.x provider runs. */
export function encodeSmallModel(model: SmallModel): Uint8Array {
  // Repeated fields: one field per node, input and output.
  const graph = [
    ...model.nodes.flatMap((n) => lengthDelimitedField(GRAPH_NODE, [encodeNode(n)])),
    ...lengthDelimitedField(GRAPH_NAME, [new TextEncoder().encode(model.name)]),
    ...model.inputs.flatMap((v) => lengthDelimitedField(GRAPH_INPUT, [encodeValueInfo(v)])),
    ...model.outputs.flatMap((v) => lengthDelimitedField(GRAPH_OUTPUT, [encodeValueInfo(v)])),
  ];
  const parts = [
    ...varintField(MODEL_IR_VERSION, 8),
    ...lengthDelimitedField(MODEL_GRAPH, graph),
    ...lengthDelimitedField(MODEL_OPSET_IMPORT, varintField(OPSET_VERSION, 17)),
  ];
  return Buffer.concat(parts);
}
