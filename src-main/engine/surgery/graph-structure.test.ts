import { describe, expect, it } from 'vitest';
import { findStructuralProblems } from './graph-structure';
import { readOnnxModel, type OnnxGraph } from './onnx-model-file';
import type { OnnxNode } from './onnx-proto';
import { GEMMA3_VISION, TINY_VIT } from '../test/surgery/graph-paths';

const node = (name: string, input: string[], output: string[]): OnnxNode => ({
  name,
  opType: 'Add',
  domain: '',
  input,
  output,
  attribute: [],
});
const graph = (nodes: OnnxNode[], outputs = ['y']): OnnxGraph => ({
  nodes,
  inputs: [{ name: 'x' }],
  outputs: outputs.map((name) => ({ name })),
  valueInfo: [],
  initializers: [],
});

describe('findStructuralProblems', () => {
  it('accepts a sorted graph whose optional inputs are empty names', () => {
    expect(findStructuralProblems(graph([node('a', ['x', ''], ['t']), node('b', ['t', 'x'], ['y'])]))).toEqual([]);
  });

  it('reports a node that reads a tensor produced later (not topologically sorted)', () => {
    expect(findStructuralProblems(graph([node('b', ['t'], ['y']), node('a', ['x'], ['t'])]))).toEqual([
      'node "b" (Add) reads "t" before anything produces it',
    ]);
  });

  it('reports a tensor produced twice and an output nobody produces', () => {
    expect(findStructuralProblems(graph([node('a', ['x'], ['t']), node('b', ['x'], ['t'])], ['y']))).toEqual([
      'node "b" (Add) redefines tensor "t"',
      'graph output "y" is never produced',
    ]);
  });

  it('finds the real exports and the test graphs valid as they are', () => {
    for (const path of [GEMMA3_VISION.fp32, GEMMA3_VISION.q4, TINY_VIT.unfused, TINY_VIT.multiHeadAttentionExternal]) {
      expect(findStructuralProblems(readOnnxModel(path).graph)).toEqual([]);
    }
  });
});
