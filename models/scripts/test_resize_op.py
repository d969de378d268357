"""One-node ONNX graph for the resize tests (src-main/engine/test/image/testdata/resize-linear-half-pixel.onnx).

Resize(mode=linear, coordinate_transformation_mode=half_pixel) at opset 13 with the output size as an
input, so one tiny graph lets the test compare resizeBilinearPlanar with onnxruntime's own Resize op on
any input and output size: the kernel transformers.js runs for `interpolate_4d`.
Run: /usr/bin/python3 models/scripts/test_resize_op.py
"""

import os

import onnx
from onnx import TensorProto, helper

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "src-main", "engine", "test", "image", "testdata")


def main() -> None:
    node = helper.make_node(
        "Resize",
        inputs=["input", "", "", "sizes"],
        outputs=["output"],
        mode="linear",
        coordinate_transformation_mode="half_pixel",
    )
    graph = helper.make_graph(
        [node],
        "resize_linear_half_pixel",
        [
            helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", "channels", "in_h", "in_w"]),
            helper.make_tensor_value_info("sizes", TensorProto.INT64, [4]),
        ],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["batch", "channels", "out_h", "out_w"])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="test_resize_op")
    model.ir_version = 7
    onnx.checker.check_model(model)
    os.makedirs(OUT, exist_ok=True)
    onnx.save(model, os.path.join(OUT, "resize-linear-half-pixel.onnx"))


if __name__ == "__main__":
    main()
