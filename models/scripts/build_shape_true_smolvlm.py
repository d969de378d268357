"""Build SmolVLM-256M-Instruct at its real dimensions with seeded random weights: a benchmark model.

Compute does not depend on weight values, so this model costs what the real one costs (the same
graphs, sizes and I/O names in the onnx-community layout) without downloading it. Its answers are
gibberish: it is for `vtc bench` only and never offered for answers in the app.

    /usr/bin/python3 models/scripts/build_shape_true_smolvlm.py OUT_DIR

Needs Debian's python3-torch (1.13) and python3-onnx. Writes into OUT_DIR (about 1.3 GB, a few
minutes on two cores), deterministically:
  the real model's config and tokenizer files, and per module (vision_encoder, embed_tokens,
  decoder_model_merged) onnx/<module>.onnx (fp32) and onnx/<module>_int8.onnx (int8 weights,
  see quantize_int8.py).
Prints one line per step, "step N/M what", for the caller's progress display.
"""

import os
import sys

import onnx
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from build_smolvlm_fixture import build_smolvlm, real_config  # noqa: E402
from quantize_int8 import quantize_int8  # noqa: E402

MODULES = ["vision_encoder", "embed_tokens", "decoder_model_merged"]
STEPS = len(MODULES) * 2


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit("usage: build_shape_true_smolvlm.py OUT_DIR")
    out_dir = os.path.abspath(sys.argv[1])
    os.makedirs(out_dir, exist_ok=True)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    step = iter(range(1, STEPS + 1))

    def progress(what: str) -> None:
        print(f"step {next(step)}/{STEPS} {what}", flush=True)

    build_smolvlm(real_config(), out_dir, lambda module: progress(f"export {module} (fp32)"))
    for module in MODULES:
        progress(f"quantize {module} (int8)")
        source = os.path.join(out_dir, "onnx", f"{module}.onnx")
        onnx.save(quantize_int8(onnx.load(source)), os.path.join(out_dir, "onnx", f"{module}_int8.onnx"))


if __name__ == "__main__":
    main()
