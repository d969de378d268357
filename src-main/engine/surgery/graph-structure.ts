// Structural validity of a graph as ONNX requires it: nodes topologically sorted, every tensor
// produced once, every graph output produced. Used as a post-condition on instrumented graphs, and
// on real exports whose weights are absent (so they cannot be loaded to find out).

import type { OnnxGraph } from './onnx-model-file';

export function findStructuralProblems(graph: OnnxGraph): string[] {
  const problems: string[] = [];
  const defined = new Set<string>();
  const define = (name: string, what: string) => {
    if (defined.has(name)) problems.push(`${what} redefines tensor "${name}"`);
    defined.add(name);
  };
  for (const input of graph.inputs) define(input.name, 'graph input');
  for (const { tensor } of graph.initializers) {
    // An initializer may double as a graph input (a default value), which is not a redefinition.
    if (!graph.inputs.some((i) => i.name === tensor.name)) define(tensor.name, 'initializer');
  }
  for (const node of graph.nodes) {
    const label = `node "${node.name}" (${node.opType})`;
    for (const input of node.input) {
      if (input && !defined.has(input)) problems.push(`${label} reads "${input}" before anything produces it`);
    }
    for (const output of node.output) if (output) define(output, label);
  }
  for (const output of graph.outputs) {
    if (!defined.has(output.name)) problems.push(`graph output "${output.name}" is never produced`);
  }
  return problems;
}
