// The part of onnx.proto that graph surgery decodes or writes, with the field numbers of the ONNX
// spec. Only small messages go through protobufjs (nodes, value infos, tensor headers, opset ids):
// whole models are handled at the wire level (see onnx-model-file.ts), so fields missing here are
// never lost, only left unread.

import protobuf from 'protobufjs';

const SCHEMA = `
syntax = "proto2";
package onnx;

message StringStringEntryProto { optional string key = 1; optional string value = 2; }
message OperatorSetIdProto { optional string domain = 1; optional int64 version = 2; }

message TensorShapeProto {
  message Dimension { optional int64 dim_value = 1; optional string dim_param = 2; optional string denotation = 3; }
  repeated Dimension dim = 1;
}

message TypeProto {
  message Tensor { optional int32 elem_type = 1; optional TensorShapeProto shape = 2; }
  optional Tensor tensor_type = 1;
  optional string denotation = 6;
}

message ValueInfoProto { optional string name = 1; optional TypeProto type = 2; optional string doc_string = 3; }

message TensorProto {
  repeated int64 dims = 1;
  optional int32 data_type = 2;
  repeated float float_data = 4 [packed = true];
  repeated int32 int32_data = 5 [packed = true];
  repeated int64 int64_data = 7 [packed = true];
  optional string name = 8;
  optional bytes raw_data = 9;
  repeated double double_data = 10 [packed = true];
  optional string doc_string = 12;
  repeated StringStringEntryProto external_data = 13;
  optional int32 data_location = 14;
}

message AttributeProto {
  optional string name = 1;
  optional string ref_attr_name = 21;
  optional string doc_string = 13;
  optional int32 type = 20;
  optional float f = 2;
  optional int64 i = 3;
  optional bytes s = 4;
  optional TensorProto t = 5;
  repeated float floats = 7;
  repeated int64 ints = 8;
  repeated bytes strings = 9;
  repeated TensorProto tensors = 10;
}

message NodeProto {
  repeated string input = 1;
  repeated string output = 2;
  optional string name = 3;
  optional string op_type = 4;
  optional string domain = 7;
  repeated AttributeProto attribute = 5;
  optional string doc_string = 6;
}
`;

const root = protobuf.parse(SCHEMA, { keepCase: false }).root;
const types = {
  node: root.lookupType('onnx.NodeProto'),
  valueInfo: root.lookupType('onnx.ValueInfoProto'),
  tensor: root.lookupType('onnx.TensorProto'),
  opset: root.lookupType('onnx.OperatorSetIdProto'),
  entry: root.lookupType('onnx.StringStringEntryProto'),
};

// AttributeProto.AttributeType values used here.
export const ATTR_FLOAT = 1;
export const ATTR_INT = 2;
export const ATTR_STRING = 3;
export const ATTR_TENSOR = 4;
export const ATTR_INTS = 7;

// TensorProto.DataType values used here.
export const DT_FLOAT = 1;
export const DT_UINT8 = 2;
export const DT_INT64 = 7;

export interface OnnxTensor {
  name: string;
  dims: number[];
  dataType: number;
  rawData?: Uint8Array;
  externalData?: { key: string; value: string }[];
  dataLocation?: number;
}

export interface OnnxAttribute {
  name: string;
  type: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: OnnxTensor;
  floats?: number[];
  ints?: number[];
}

export interface OnnxNode {
  input: string[];
  output: string[];
  name: string;
  opType: string;
  domain: string;
  attribute: OnnxAttribute[];
}

export interface OnnxDimension {
  dimValue?: number;
  dimParam?: string;
}

export interface OnnxValueInfo {
  name: string;
  type?: { tensorType?: { elemType?: number; shape?: { dim?: OnnxDimension[] } } };
}

const READ = { longs: Number, arrays: true } as const;

export function decodeNode(bytes: Uint8Array): OnnxNode {
  const o = types.node.toObject(types.node.decode(bytes), READ);
  return {
    input: o.input,
    output: o.output,
    name: o.name ?? '',
    opType: o.opType ?? '',
    domain: o.domain ?? '',
    attribute: o.attribute,
  };
}

export function encodeNode(node: OnnxNode): Uint8Array {
  return types.node.encode(types.node.fromObject(node)).finish();
}

export function decodeValueInfo(bytes: Uint8Array): OnnxValueInfo {
  return types.valueInfo.toObject(types.valueInfo.decode(bytes), READ) as OnnxValueInfo;
}

export function encodeValueInfo(info: OnnxValueInfo): Uint8Array {
  return types.valueInfo.encode(types.valueInfo.fromObject(info)).finish();
}

/** Decodes a TensorProto; callers pass its bytes without the data fields when the data may be large. */
export function decodeTensor(bytes: Uint8Array): OnnxTensor {
  const o = types.tensor.toObject(types.tensor.decode(bytes), READ);
  return {
    name: o.name ?? '',
    dims: o.dims,
    dataType: o.dataType ?? 0,
    rawData: o.rawData,
    externalData: o.externalData,
    dataLocation: o.dataLocation,
  };
}

export function decodeOpsetId(bytes: Uint8Array): { domain: string; version: number } {
  const o = types.opset.toObject(types.opset.decode(bytes), READ);
  return { domain: o.domain ?? '', version: o.version ?? 0 };
}

export function encodeStringEntry(key: string, value: string): Uint8Array {
  return types.entry.encode(types.entry.fromObject({ key, value })).finish();
}

/** `ai.onnx` is another spelling of the default domain. */
export function normalizeDomain(domain: string): string {
  return domain === 'ai.onnx' ? '' : domain;
}
