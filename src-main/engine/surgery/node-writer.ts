// Writes the nodes graph surgery adds: unique tensor names under a prefix of its own (so clashes with the
// model's names are easy to check), constants shared by value, and the ops whose form changed between opsets.
import { ATTR_INT, ATTR_INTS, ATTR_TENSOR, DT_FLOAT, DT_INT64, type OnnxAttribute, type OnnxNode } from './onnx-proto';

export const INT64_MAX = 0x7fffffffffffffffn;

export function intAttr(name: string, i: number): OnnxAttribute {
  return { name, type: ATTR_INT, i };
}

export function intsAttr(name: string, ints: number[]): OnnxAttribute {
  return { name, type: ATTR_INTS, ints };
}

/** Appends nodes with unique, prefixed tensor names; constants are shared by value. */
export class NodeWriter {
  readonly nodes: OnnxNode[] = [];
  scope = '';
  private count = 0;
  private readonly constants = new Map<string, string>();

  constructor(
    private readonly defaultOpset: number,
    private readonly prefix: string,
  ) {}

  add(opType: string, inputs: string[], attribute: OnnxAttribute[] = [], output?: string): string {
    const name = output ?? `${this.prefix}${this.scope}/${opType}_${this.count++}`;
    this.nodes.push({ input: inputs, output: [name], name, opType, domain: '', attribute });
    return name;
  }

  /** ReduceMean without keepdims; `axes` moved from attribute to input in opset 18. */
  reduceMean(tensor: string, axes: number[], output?: string): string {
    const keepdims = intAttr('keepdims', 0);
    if (this.defaultOpset >= 18) return this.add('ReduceMean', [tensor, this.int64([axes.length], axes)], [keepdims], output);
    return this.add('ReduceMean', [tensor], [intsAttr('axes', axes), keepdims], output);
  }

  int64(dims: number[], values: (number | bigint)[]): string {
    // Typed arrays are host-endian; every platform this app ships on is little-endian, as ONNX raw_data is.
    const data = BigInt64Array.from(values, (v) => BigInt(v));
    return this.constant(`i64[${dims}]:${values}`, { dims, dataType: DT_INT64, rawData: new Uint8Array(data.buffer) });
  }

  float32(value: number): string {
    return this.constant(`f32:${value}`, { dims: [], dataType: DT_FLOAT, rawData: new Uint8Array(Float32Array.of(value).buffer) });
  }

  private constant(key: string, tensor: { dims: number[]; dataType: number; rawData: Uint8Array }): string {
    const existing = this.constants.get(key);
    if (existing) return existing;
    const name = `${this.prefix}const_${this.constants.size}`;
    this.nodes.push({
      input: [],
      output: [name],
      name,
      opType: 'Constant',
      domain: '',
      attribute: [{ name: 'value', type: ATTR_TENSOR, t: { name, ...tensor } }],
    });
    this.constants.set(key, name);
    return name;
  }
}
