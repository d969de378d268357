"""Tiny ViT graphs for the graph-surgery tests (src-main/engine/test/surgery/testdata/).

One set of weights, written as several ONNX graphs that must give the same attention:
  vit-unfused-opset14.onnx   MatMul -> Mul -> Softmax -> MatMul per layer (a torch-style export),
                             ReduceMean still takes `axes` as an attribute at this opset.
  vit-mha-opset18.onnx       com.microsoft:MultiHeadAttention on separate q/k/v projections
                             (layer 0 carries `scale`, later layers rely on the default).
  vit-mha-external/model.onnx  the same, weights in model.onnx_data (onnx-community layout).
  vit-packed-opset17.onnx    com.microsoft:Attention with packed QKV weights and bias.
  vit-gqa.onnx               layer 1 is a GroupQueryAttention: cannot be instrumented.
  vit-softmax-axis1.onnx     layer 0 normalises over heads: no attention row to read.
  mlp-only.onnx              no attention at all.

The token sequence is [CLS] + 16 patches, so both score modes have something to read.
Run: /usr/bin/python3 models/scripts/surgery_build_test_graphs.py
"""

import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "src-main", "engine", "test", "surgery", "testdata")
PATCHES, PATCH_DIM, HIDDEN, HEADS, MLP, LAYERS = 16, 12, 32, 4, 64, 3
HEAD_DIM = HIDDEN // HEADS
SCALE = HEAD_DIM ** -0.5


def weights() -> dict:
    rng = np.random.default_rng(20241207)

    def w(*shape, std=0.15):
        return (rng.standard_normal(shape) * std).astype(np.float32)

    params = {"patch_w": w(PATCH_DIM, HIDDEN), "cls": w(1, 1, HIDDEN, std=0.5), "pos": w(1, PATCHES + 1, HIDDEN, std=0.3)}
    for l in range(LAYERS):
        for name in ("q", "k", "v", "o"):
            params[f"l{l}.{name}_w"] = w(HIDDEN, HIDDEN, std=0.3 if name in ("q", "k") else 0.15)
            params[f"l{l}.{name}_b"] = w(HIDDEN, std=0.1)
        params[f"l{l}.fc1_w"], params[f"l{l}.fc1_b"] = w(HIDDEN, MLP, std=0.15), w(MLP, std=0.1)
        params[f"l{l}.fc2_w"], params[f"l{l}.fc2_b"] = w(MLP, HIDDEN, std=0.15), w(HIDDEN, std=0.1)
    return params


class Graph:
    def __init__(self, params: dict):
        self.params, self.nodes, self.inits, self.used = params, [], [], set()

    def p(self, name: str) -> str:
        if name not in self.used:
            self.used.add(name)
            self.inits.append(numpy_helper.from_array(self.params[name], name))
        return name

    def const(self, name: str, array: np.ndarray) -> str:
        if name not in self.used:
            self.used.add(name)
            self.inits.append(numpy_helper.from_array(array, name))
        return name

    def op(self, op_type: str, inputs: list, out: str, domain: str = "", **attrs) -> str:
        self.nodes.append(helper.make_node(op_type, inputs, [out], name=out + "_node", domain=domain, **attrs))
        return out

    def linear(self, x: str, prefix: str, out: str) -> str:
        return self.op("Add", [self.op("MatMul", [x, self.p(prefix + "_w")], out + "_mm"), self.p(prefix + "_b")], out)

    def heads(self, x: str, perm: list, out: str) -> str:
        shape = self.const("heads_shape", np.array([0, 0, HEADS, HEAD_DIM], dtype=np.int64))
        return self.op("Transpose", [self.op("Reshape", [x, shape], out + "_r")], out, perm=perm)


def eager_attention(g: Graph, l: int, x: str, softmax_axis: int) -> str:
    q = g.heads(g.linear(x, f"l{l}.q", f"l{l}.q"), [0, 2, 1, 3], f"l{l}.qh")
    k = g.heads(g.linear(x, f"l{l}.k", f"l{l}.k"), [0, 2, 3, 1], f"l{l}.kh")
    v = g.heads(g.linear(x, f"l{l}.v", f"l{l}.v"), [0, 2, 1, 3], f"l{l}.vh")
    scores = g.op("Mul", [g.op("MatMul", [q, k], f"l{l}.qk"), g.const("scale", np.array(SCALE, dtype=np.float32))], f"l{l}.scores")
    probs = g.op("Softmax", [scores], f"l{l}.probs", axis=softmax_axis)
    context = g.op("Transpose", [g.op("MatMul", [probs, v], f"l{l}.ctx_h")], f"l{l}.ctx_t", perm=[0, 2, 1, 3])
    return g.op("Reshape", [context, g.const("merge_shape", np.array([0, 0, HIDDEN], dtype=np.int64))], f"l{l}.ctx")


def mha_attention(g: Graph, l: int, x: str) -> str:
    q, k, v = (g.linear(x, f"l{l}.{n}", f"l{l}.{n}") for n in "qkv")
    attrs = {"num_heads": HEADS, **({"scale": SCALE} if l == 0 else {})}
    return g.op("MultiHeadAttention", [q, k, v], f"l{l}.ctx", domain="com.microsoft", **attrs)


def packed_attention(g: Graph, l: int, x: str) -> str:
    pw, pb = g.params, f"l{l}"
    g.params[f"{pb}.qkv_w"] = np.concatenate([pw[f"{pb}.{n}_w"] for n in "qkv"], axis=1)
    g.params[f"{pb}.qkv_b"] = np.concatenate([pw[f"{pb}.{n}_b"] for n in "qkv"])
    inputs = [x, g.p(f"{pb}.qkv_w"), g.p(f"{pb}.qkv_b")]
    return g.op("Attention", inputs, f"l{l}.ctx", domain="com.microsoft", num_heads=HEADS)


def gqa_attention(g: Graph, l: int, x: str) -> str:
    q, k, v = (g.linear(x, f"l{l}.{n}", f"l{l}.{n}") for n in "qkv")
    return g.op("GroupQueryAttention", [q, k, v], f"l{l}.ctx", domain="com.microsoft", num_heads=HEADS, kv_num_heads=HEADS)


def no_attention(g: Graph, l: int, x: str) -> str:
    return g.linear(x, f"l{l}.v", f"l{l}.v")


def build(attention, opset: int) -> onnx.ModelProto:
    g = Graph(dict(weights()))
    emb = g.op("MatMul", ["patches", g.p("patch_w")], "emb")
    # [CLS] broadcast over the batch without Expand: (first patch * 0) + cls.
    first = g.op("Slice", [emb, g.const("zero", np.array([0], np.int64)), g.const("one", np.array([1], np.int64)), g.const("one", np.array([1], np.int64))], "first")
    cls = g.op("Add", [g.op("Mul", [first, g.const("nought", np.array(0.0, np.float32))], "first0"), g.p("cls")], "cls_b")
    x = g.op("Add", [g.op("Concat", [cls, emb], "tokens", axis=1), g.p("pos")], "x0")
    for l in range(LAYERS):
        x = g.op("Add", [x, g.linear(attention(g, l, x), f"l{l}.o", f"l{l}.attn_out")], f"l{l}.res1")
        hidden = g.op("Tanh", [g.linear(x, f"l{l}.fc1", f"l{l}.fc1")], f"l{l}.act")
        x = g.op("Add", [x, g.linear(hidden, f"l{l}.fc2", f"l{l}.fc2")], f"l{l}.res2")
    g.op("Identity", [x], "features")
    graph = helper.make_graph(
        g.nodes, "tiny_vit",
        [helper.make_tensor_value_info("patches", TensorProto.FLOAT, ["batch", PATCHES, PATCH_DIM])],
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", PATCHES + 1, HIDDEN])],
        g.inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset), helper.make_opsetid("com.microsoft", 1)],
                              producer_name="surgery_build_test_graphs")
    model.ir_version = 8
    return model


def main() -> None:
    external_dir = os.path.join(OUT, "vit-mha-external")
    os.makedirs(external_dir, exist_ok=True)
    # onnx appends to an existing data file: start from none so offsets stay reproducible.
    if os.path.exists(os.path.join(external_dir, "model.onnx_data")):
        os.remove(os.path.join(external_dir, "model.onnx_data"))
    onnx.save(build(lambda g, l, x: eager_attention(g, l, x, -1), 14), os.path.join(OUT, "vit-unfused-opset14.onnx"))
    onnx.save(build(mha_attention, 18), os.path.join(OUT, "vit-mha-opset18.onnx"))
    onnx.save(build(mha_attention, 18), os.path.join(external_dir, "model.onnx"),
              save_as_external_data=True, location="model.onnx_data", size_threshold=1024)
    onnx.save(build(packed_attention, 17), os.path.join(OUT, "vit-packed-opset17.onnx"))
    onnx.save(build(lambda g, l, x: gqa_attention(g, l, x) if l == 1 else mha_attention(g, l, x), 18),
              os.path.join(OUT, "vit-gqa.onnx"))
    onnx.save(build(lambda g, l, x: eager_attention(g, l, x, 1 if l == 0 else -1), 14), os.path.join(OUT, "vit-softmax-axis1.onnx"))
    onnx.save(build(no_attention, 14), os.path.join(OUT, "mlp-only.onnx"))


if __name__ == "__main__":
    main()
