"""Build the tiny SmolVLM fixture and the fused/unfused vision-encoder twins.

Run from the repository root (needs Debian's python3-torch 1.13 and python3-onnx):

    /usr/bin/python3 models/scripts/build_smolvlm_fixture.py

Writes, deterministically (same bytes on every run):
  models/fixtures/tiny-smolvlm/   a random-weight Idefics3 model in the onnx-community layout of
                                  SmolVLM-256M-Instruct (real configs and tokenizer, tiny sizes)
  models/fixtures/graphs/         tiny SigLIP (no [CLS]) and CLIP ([CLS]) encoders, each exported
                                  with eager attention and rewritten to com.microsoft:MultiHeadAttention
Check the result with `node models/scripts/check_fixture.mjs`.
"""

import json
import os
import shutil
import sys

import onnx
import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fuse_attention import fuse_attention  # noqa: E402
from tiny_llama import TinyLlamaDecoder  # noqa: E402
from tiny_vision import Idefics3VisionEncoder, TinyClipEncoder, TinySiglipEncoder  # noqa: E402

REAL_MODEL = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference", "smolvlm-256m-instruct")
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MODEL_OUT = os.path.join(ROOT, "models", "fixtures", "tiny-smolvlm")
GRAPHS_OUT = os.path.join(ROOT, "models", "fixtures", "graphs")
OPSET = 17
SEED = 20241206

COPIED_FILES = [
    "preprocessor_config.json",
    "processor_config.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "added_tokens.json",
    "chat_template.json",
    "generation_config.json",
]

TINY_VISION = {"hidden_size": 32, "num_attention_heads": 2, "num_hidden_layers": 2, "intermediate_size": 64}
TINY_TEXT = {
    "hidden_size": 32,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "num_hidden_layers": 2,
    "intermediate_size": 64,
    "head_dim": 8,
}

# Chosen by trying a few values: the smallest that make greedy answers differ between photos.
QK_GAIN = 3.0
OUTPUT_GAIN = 8.0

# Token ids 0..16 (<|endoftext|>, <|im_start|>, ...) and 49152.. (<global-img>, <row_r_col_c>,
# <image>, reserved, <end_of_utterance>) are special in the real tokenizer.
SPECIAL_TOKEN_RANGES = [(0, 17), (49152, 49280)]


def real_config() -> dict:
    with open(os.path.join(REAL_MODEL, "config.json")) as f:
        return json.load(f)


def tiny_config() -> dict:
    config = real_config()
    config["vision_config"].update(TINY_VISION)
    config["text_config"].update(TINY_TEXT)
    return config


def write_json(path: str, value: dict) -> None:
    with open(path, "w") as f:
        json.dump(value, f, indent=2)
        f.write("\n")


def randomize_norms(module: nn.Module) -> None:
    """Give every norm layer non-trivial weights: default ones/zeros would be deduplicated by the
    exporter into Identity nodes and would hide scale/shift bugs in anything reading the graphs."""
    with torch.no_grad():
        for name, param in module.named_parameters():
            if "norm" in name:
                param.add_(torch.randn_like(param) * 0.1)


def export(module: nn.Module, args: tuple, path: str, inputs: list, outputs: list, dynamic: dict, output_dims=None) -> None:
    """torch.onnx.export, then (optionally) name the output dims the exporter left as inferred gibberish."""
    module.eval()
    with torch.no_grad():
        torch.onnx.export(
            module,
            args,
            path,
            input_names=inputs,
            output_names=outputs,
            dynamic_axes=dynamic,
            opset_version=OPSET,
            do_constant_folding=True,
        )
    if output_dims is None:
        return
    model = onnx.load(path)
    for output in model.graph.output:
        dims = output.type.tensor_type.shape.dim
        for dim, value in zip(dims, output_dims[output.name]):
            if isinstance(value, str):
                dim.dim_param = value
            else:
                dim.dim_value = value
    onnx.checker.check_model(model)
    onnx.save(model, path)


class EmbedTokens(nn.Module):
    def __init__(self, vocab: int, hidden: int):
        super().__init__()
        self.embed_tokens = nn.Embedding(vocab, hidden)

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        return self.embed_tokens(input_ids)


def amplify_attention(decoder: TinyLlamaDecoder) -> None:
    """At default init the attention output is a near-uniform average over ~900 tokens and is drowned
    by the current token's embedding, so greedy answers ignore the image. Sharper scores and a louder
    o_proj let the context (mostly image tokens) steer the answer."""
    with torch.no_grad():
        for layer in decoder.layers:
            layer.self_attn.q_proj.weight.mul_(QK_GAIN)
            layer.self_attn.k_proj.weight.mul_(QK_GAIN)
            layer.self_attn.o_proj.weight.mul_(OUTPUT_GAIN)


def silence_special_tokens(decoder: TinyLlamaDecoder) -> None:
    """Zero the lm_head rows of special tokens. The largest of ~49k random zero-mean logits is always
    well above zero, so these never win: greedy answers are plain text and never stop early."""
    with torch.no_grad():
        for start, end in SPECIAL_TOKEN_RANGES:
            decoder.lm_head.weight[start:end] = 0.0


def export_decoder(decoder: TinyLlamaDecoder, tc: dict, path: str) -> None:
    """Exports a TinyLlamaDecoder with the onnx-community decoder's names: inputs_embeds, attention_mask,
    position_ids, past_key_values.{i}.{key,value} -> logits, present.{i}.{key,value}."""
    hidden, kv_heads, head_dim = tc["hidden_size"], tc["num_key_value_heads"], tc["head_dim"]
    # Dummy: batch 2, 5 new tokens after 3 cached ones, so neither length is 0 or 1 in the trace.
    batch, seq, past_len = 2, 5, 3
    past, past_names, present_names, dynamic = [], [], [], {}
    for layer in range(tc["num_hidden_layers"]):
        for kind in ("key", "value"):
            past.append(torch.randn(batch, kv_heads, past_len, head_dim))
            past_names.append(f"past_key_values.{layer}.{kind}")
            present_names.append(f"present.{layer}.{kind}")
            dynamic[past_names[-1]] = {0: "batch_size", 2: "past_sequence_length"}
            dynamic[present_names[-1]] = {0: "batch_size", 2: "total_sequence_length"}
    dynamic.update(
        {
            "inputs_embeds": {0: "batch_size", 1: "sequence_length"},
            "attention_mask": {0: "batch_size", 1: "total_sequence_length"},
            "position_ids": {0: "batch_size", 1: "sequence_length"},
            "logits": {0: "batch_size", 1: "sequence_length"},
        }
    )
    export(
        decoder,
        (
            torch.randn(batch, seq, hidden),
            torch.ones(batch, past_len + seq, dtype=torch.int64),
            torch.arange(past_len, past_len + seq).repeat(batch, 1),
            *past,
        ),
        path,
        ["inputs_embeds", "attention_mask", "position_ids", *past_names],
        ["logits", *present_names],
        dynamic,
    )


def build_smolvlm(config: dict, out_dir: str = MODEL_OUT, progress=lambda step: None) -> None:
    """Writes an Idefics3 model with `config`'s sizes and seeded random weights into `out_dir` (the
    onnx-community layout, fp32). build_shape_true_smolvlm.py calls this with the real sizes."""
    onnx_dir = os.path.join(out_dir, "onnx")
    os.makedirs(onnx_dir, exist_ok=True)
    vc, tc = config["vision_config"], config["text_config"]
    hidden = tc["hidden_size"]

    progress("vision_encoder")
    torch.manual_seed(SEED)
    vision = Idefics3VisionEncoder(vc, hidden, config["scale_factor"])
    randomize_norms(vision)
    side = vc["image_size"]
    pixel_values = torch.rand(1, 2, 3, side, side) * 2 - 1
    pixel_attention_mask = torch.ones(1, 2, side, side, dtype=torch.bool)
    export(
        vision,
        (pixel_values, pixel_attention_mask),
        os.path.join(onnx_dir, "vision_encoder.onnx"),
        ["pixel_values", "pixel_attention_mask"],
        ["image_features"],
        {
            "pixel_values": {0: "batch_size", 1: "num_images", 3: "height", 4: "width"},
            "pixel_attention_mask": {0: "batch_size", 1: "num_images", 2: "height", 3: "width"},
            "image_features": {0: "num_image_tokens"},
        },
        {"image_features": ["num_image_tokens", hidden]},
    )

    progress("embed_tokens")
    torch.manual_seed(SEED + 1)
    embed = EmbedTokens(tc["vocab_size"], hidden)
    export(
        embed,
        (torch.randint(0, tc["vocab_size"], (2, 5)),),
        os.path.join(onnx_dir, "embed_tokens.onnx"),
        ["input_ids"],
        ["inputs_embeds"],
        {"input_ids": {0: "batch_size", 1: "sequence_length"}, "inputs_embeds": {0: "batch_size", 1: "sequence_length"}},
    )

    progress("decoder_model_merged")
    torch.manual_seed(SEED + 2)
    decoder = TinyLlamaDecoder(tc)
    randomize_norms(decoder)
    amplify_attention(decoder)
    silence_special_tokens(decoder)
    export_decoder(decoder, tc, os.path.join(onnx_dir, "decoder_model_merged.onnx"))

    write_json(os.path.join(out_dir, "config.json"), config)
    for name in COPIED_FILES:
        shutil.copyfile(os.path.join(REAL_MODEL, name), os.path.join(out_dir, name))


TWIN_SHAPE = {"image_size": 64, "patch": 16, "hidden": 32, "heads": 2, "intermediate": 64}


def build_twin(name: str, encoder_class, layers: int, seed: int) -> None:
    torch.manual_seed(seed)
    encoder = encoder_class(layers=layers, **TWIN_SHAPE)
    randomize_norms(encoder)
    side = TWIN_SHAPE["image_size"]
    tokens = (side // TWIN_SHAPE["patch"]) ** 2 + (1 if encoder_class is TinyClipEncoder else 0)
    unfused_path = os.path.join(GRAPHS_OUT, f"{name}-unfused.onnx")
    export(
        encoder,
        (torch.rand(2, 3, side, side) * 2 - 1,),
        unfused_path,
        ["pixel_values"],
        ["image_features"],
        {"pixel_values": {0: "batch_size"}, "image_features": {0: "batch_size"}},
        {"image_features": ["batch_size", tokens, TWIN_SHAPE["hidden"]]},
    )
    fused = fuse_attention(onnx.load(unfused_path), TWIN_SHAPE["heads"])
    onnx.save(fused, os.path.join(GRAPHS_OUT, f"{name}-fused.onnx"))


def main() -> None:
    torch.set_num_threads(1)
    os.makedirs(GRAPHS_OUT, exist_ok=True)
    build_smolvlm(tiny_config())
    build_twin("tiny-siglip", TinySiglipEncoder, layers=2, seed=SEED + 3)
    build_twin("tiny-clip", TinyClipEncoder, layers=3, seed=SEED + 4)


if __name__ == "__main__":
    main()
