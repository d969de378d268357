"""Int8 weights for an ONNX graph with onnx's own helpers (onnxruntime's Python quantizer is not
installed here), in the form onnxruntime's dynamic quantization writes, so its CPU provider runs them
with its integer kernels:

- MatMul x W (W a float initializer [K, N]) becomes
  DynamicQuantizeLinear(x) -> MatMulInteger(x_q, W_q, x_zero, 0) -> Cast float -> Mul (x_scale * W_scale);
  onnxruntime fuses this into its DynamicQuantizeMatMul at load.
- Gather(E, ids) (E a float initializer, the token embeddings) becomes Gather(E_q, ids) -> DequantizeLinear,
  so only the gathered rows are ever float.

Weights are symmetric int8 with one scale per tensor (zero point 0). Everything else (convolutions,
norms, the attention's own MatMuls of two activations) stays float32. Deterministic: the same graph in
gives the same bytes out.
"""

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def _symmetric_int8(weights: np.ndarray):
    scale = float(np.abs(weights).max()) / 127.0 or 1.0
    quantized = np.clip(np.round(weights / scale), -127, 127).astype(np.int8)
    return quantized, np.float32(scale)


def quantize_int8(model: onnx.ModelProto) -> onnx.ModelProto:
    graph = model.graph
    initializers = {init.name: init for init in graph.initializer}
    # Count every use: a weight shared with another op keeps its float copy.
    uses = {}
    for node in graph.node:
        for name in node.input:
            uses[name] = uses.get(name, 0) + 1

    def float_weight(name: str, rank: int):
        init = initializers.get(name)
        if init is None or init.data_type != TensorProto.FLOAT or len(init.dims) != rank or uses.get(name) != 1:
            return None
        return numpy_helper.to_array(init)

    new_nodes, new_inits, dropped = [], [], set()
    quantized_inputs = {}  # one DynamicQuantizeLinear per activation, shared by q/k/v and gate/up projections

    def constant(name: str, array: np.ndarray) -> str:
        new_inits.append(numpy_helper.from_array(array, name))
        return name

    for node in graph.node:
        if node.op_type == "MatMul" and node.domain == "" and float_weight(node.input[1], 2) is not None:
            weight_name = node.input[1]
            weights_q, scale = _symmetric_int8(float_weight(weight_name, 2))
            dropped.add(weight_name)
            base = f"{weight_name}_int8"
            w_q = constant(f"{base}/quantized", weights_q)
            w_zero = constant(f"{base}/zero_point", np.array(0, dtype=np.int8))
            w_scale = constant(f"{base}/scale", np.array(scale, dtype=np.float32))
            x = node.input[0]
            if x not in quantized_inputs:
                q = f"{x}_dynamic_int8"
                quantized_inputs[x] = (f"{q}/quantized", f"{q}/scale", f"{q}/zero_point")
                new_nodes.append(helper.make_node("DynamicQuantizeLinear", [x], list(quantized_inputs[x]), name=f"{q}/DynamicQuantizeLinear"))
            x_q, x_scale, x_zero = quantized_inputs[x]
            out = node.output[0]
            new_nodes += [
                helper.make_node("MatMulInteger", [x_q, w_q, x_zero, w_zero], [f"{out}/int32"], name=f"{base}/MatMulInteger"),
                helper.make_node("Cast", [f"{out}/int32"], [f"{out}/float"], name=f"{base}/Cast", to=TensorProto.FLOAT),
                helper.make_node("Mul", [x_scale, w_scale], [f"{out}/scale"], name=f"{base}/scale"),
                helper.make_node("Mul", [f"{out}/float", f"{out}/scale"], [out], name=f"{base}/Mul"),
            ]
        elif node.op_type == "Gather" and node.domain == "" and float_weight(node.input[0], 2) is not None:
            table_name = node.input[0]
            table_q, scale = _symmetric_int8(float_weight(table_name, 2))
            dropped.add(table_name)
            base = f"{table_name}_int8"
            t_q = constant(f"{base}/quantized", table_q)
            t_scale = constant(f"{base}/scale", np.array(scale, dtype=np.float32))
            t_zero = constant(f"{base}/zero_point", np.array(0, dtype=np.int8))
            out = node.output[0]
            new_nodes += [
                helper.make_node("Gather", [t_q, node.input[1]], [f"{out}/int8"], name=f"{base}/Gather", **_attributes(node)),
                helper.make_node("DequantizeLinear", [f"{out}/int8", t_scale, t_zero], [out], name=f"{base}/DequantizeLinear"),
            ]
        else:
            new_nodes.append(node)

    kept = [init for init in graph.initializer if init.name not in dropped]
    del graph.node[:]
    graph.node.extend(new_nodes)
    del graph.initializer[:]
    graph.initializer.extend(kept + new_inits)
    # DynamicQuantizeLinear and MatMulInteger are in the default domain from opset 10/11.
    onnx.checker.check_model(model)
    return model


def _attributes(node: onnx.NodeProto) -> dict:
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}
