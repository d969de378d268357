"""Rewrite eager attention (MatMul -> Mul -> Softmax -> MatMul) into com.microsoft:MultiHeadAttention.

The result mirrors the onnx-community Gemma 3 vision export: one MultiHeadAttention node per
layer, fed by the q/k/v projection outputs [batch, seq, hidden], attributes num_heads and scale,
its output [batch, seq, hidden] going straight into the output projection.
"""

import numpy as np
import onnx
from onnx import helper, numpy_helper

HEAD_LAYOUT_OPS = {"Reshape", "Transpose"}


class Graph:
    def __init__(self, graph: onnx.GraphProto):
        self.graph = graph
        self.producer = {out: node for node in graph.node for out in node.output}
        self.consumers = {}
        for node in graph.node:
            for name in node.input:
                self.consumers.setdefault(name, []).append(node)
        self.initializers = {init.name: init for init in graph.initializer}

    def constant_value(self, name: str) -> np.ndarray:
        if name in self.initializers:
            return numpy_helper.to_array(self.initializers[name])
        node = self.producer.get(name)
        if node is not None and node.op_type == "Constant":
            return numpy_helper.to_array(node.attribute[0].t)
        raise ValueError(f"{name} is not a constant")

    def source_before_head_layout(self, name: str) -> str:
        """Walk up through the Reshape/Transpose chain that splits heads, to the projection output."""
        while name in self.producer and self.producer[name].op_type in HEAD_LAYOUT_OPS:
            name = self.producer[name].input[0]
        return name

    def sink_after_head_layout(self, name: str) -> str:
        """Walk down through the Transpose/Reshape chain that merges heads, to [batch, seq, hidden]."""
        while True:
            users = self.consumers.get(name, [])
            if len(users) != 1 or users[0].op_type not in HEAD_LAYOUT_OPS:
                return name
            name = users[0].output[0]

    def single_consumer(self, name: str, op_type: str) -> onnx.NodeProto:
        users = self.consumers.get(name, [])
        if len(users) != 1 or users[0].op_type != op_type:
            raise ValueError(f"expected {name} to feed exactly one {op_type}, found {[u.op_type for u in users]}")
        return users[0]


def fused_attention_node(g: Graph, softmax: onnx.NodeProto, num_heads: int, index: int) -> onnx.NodeProto:
    scaled = g.producer[softmax.input[0]]
    if scaled.op_type != "Mul":
        raise ValueError(f"Softmax {softmax.name} is not fed by a scaling Mul (masked attention is not fused here)")
    scores_name, scale_name = scaled.input
    if scores_name not in g.producer or g.producer[scores_name].op_type != "MatMul":
        scores_name, scale_name = scale_name, scores_name
    scores = g.producer[scores_name]
    if scores.op_type != "MatMul":
        raise ValueError(f"scaling Mul {scaled.name} is not fed by a q.kT MatMul")
    scale = float(g.constant_value(scale_name).reshape(()))
    weighted = g.single_consumer(softmax.output[0], "MatMul")
    query = g.source_before_head_layout(scores.input[0])
    key = g.source_before_head_layout(scores.input[1])
    value = g.source_before_head_layout(weighted.input[1])
    output = g.sink_after_head_layout(weighted.output[0])
    layer_scope = softmax.name.rsplit("/", 1)[0] if "/" in softmax.name else f"/attention_{index}"
    return helper.make_node(
        "MultiHeadAttention",
        [query, key, value],
        [output],
        name=f"{layer_scope}/MultiHeadAttention",
        domain="com.microsoft",
        num_heads=num_heads,
        scale=scale,
    )


def live_nodes(graph: onnx.GraphProto, nodes: list) -> list:
    """Nodes the graph outputs depend on, in a valid topological order."""
    producer = {out: node for node in nodes for out in node.output}
    needed, stack = set(), [o.name for o in graph.output]
    while stack:
        node = producer.get(stack.pop())
        if node is None or id(node) in needed:
            continue
        needed.add(id(node))
        stack.extend(name for name in node.input if name)
    available = {i.name for i in graph.input} | {i.name for i in graph.initializer} | {""}
    ordered, pending = [], [n for n in nodes if id(n) in needed]
    while pending:
        ready = [n for n in pending if all(name in available for name in n.input)]
        if not ready:
            raise ValueError("graph has a cycle or a missing input after fusion")
        for node in ready:
            ordered.append(node)
            available.update(node.output)
        pending = [n for n in pending if all(name not in available for name in n.output)]
    return ordered


def fuse_attention(model: onnx.ModelProto, num_heads: int) -> onnx.ModelProto:
    fused = onnx.ModelProto()
    fused.CopyFrom(model)
    graph = fused.graph
    g = Graph(graph)
    softmaxes = [n for n in graph.node if n.op_type == "Softmax"]
    if not softmaxes:
        raise ValueError("no Softmax found: nothing to fuse")
    replaced = {}
    for index, softmax in enumerate(softmaxes):
        node = fused_attention_node(g, softmax, num_heads, index)
        replaced[node.output[0]] = node
    # Drop the old producers of the fused outputs; everything else they fed becomes dead and is pruned.
    kept = [n for n in graph.node if not any(out in replaced for out in n.output)]
    ordered = live_nodes(graph, kept + list(replaced.values()))
    del graph.node[:]
    graph.node.extend(ordered)
    used = {name for node in ordered for name in node.input}
    live_initializers = [init for init in graph.initializer if init.name in used]
    del graph.initializer[:]
    graph.initializer.extend(live_initializers)
    del graph.value_info[:]
    fused.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    onnx.checker.check_model(fused)
    return fused
