"""Build the tiny Phi-3-vision fixture: models/fixtures/tiny-phi3v.

Run from the repository root (needs Debian's python3-torch 1.13 and python3-onnx):

    /usr/bin/python3 models/scripts/build_phi3v_fixture.py

Writes, deterministically, a random-weight phi3_v model in the file layout and with the input/output names
of onnx-community/Phi-3.5-vision-instruct: onnx/vision_encoder.onnx (pixel_values, image_sizes ->
image_features), onnx/prepare_inputs_embeds.onnx (input_ids, image_features -> inputs_embeds) and
onnx/model.onnx (inputs_embeds, attention_mask, position_ids, past_key_values.* -> logits, present.*).
The vision encoder is a CLIP-style tower with a [CLS] token, exported with eager attention and no
attention outputs, so the engine's graph surgery is what gives VTC-CLS its scores.
See models/fixtures/tiny-phi3v/README.md for which files are real and which are inferred.
"""

import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from build_smolvlm_fixture import export, export_decoder, randomize_norms, write_json  # noqa: E402
from tiny_llama import TinyLlamaDecoder  # noqa: E402
from tiny_phi3v import CROP, Phi3VisionEncoder, PrepareInputsEmbeds  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
REAL_MODEL = os.path.join(ROOT, "models", "reference", "phi-3.5-vision-instruct")
OUT = os.path.join(ROOT, "models", "fixtures", "tiny-phi3v")
SEED = 20241207

# CLIP ViT-L/14-336's patch size and crop (24x24 patches, 577 tokens with [CLS]); everything else tiny.
TINY_VISION = {"hidden_size": 16, "num_attention_heads": 2, "num_hidden_layers": 3, "intermediate_size": 32, "patch_size": 14}
TINY_TEXT = {"hidden_size": 32, "num_attention_heads": 4, "num_key_value_heads": 4, "num_hidden_layers": 2, "intermediate_size": 64}

# Phi-3's chat and image tokens, after a byte-level vocabulary of 256 (the real tokenizer is not reproduced).
SPECIAL = ["<unk>", "<s>", "</s>"]
ADDED = ["<|endoftext|>", "<|assistant|>", "<|end|>", "<|user|>", "<|system|>", "<|image|>"]
QK_GAIN = 3.0
OUTPUT_GAIN = 8.0


def byte_symbols() -> list:
    """GPT-2's printable stand-ins for the 256 bytes, the alphabet of a ByteLevel BPE vocabulary."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    chars, extra = [], 0
    for b in range(256):
        if b in printable:
            chars.append(chr(b))
        else:
            chars.append(chr(256 + extra))
            extra += 1
    return chars


def tokenizer_files() -> tuple:
    vocab = {token: i for i, token in enumerate(SPECIAL)}
    for symbol in byte_symbols():
        vocab[symbol] = len(vocab)
    added = [{"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True}
             for i, t in enumerate(SPECIAL)]
    for token in ADDED:
        vocab[token] = len(vocab)
        added.append({"id": vocab[token], "content": token, "single_word": False, "lstrip": False, "rstrip": token == "<|end|>",
                      "normalized": False, "special": True})
    tokenizer = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        "post_processor": None,
        "decoder": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "vocab": vocab, "merges": []},
    }
    with open(os.path.join(REAL_MODEL, "tokenizer_config.json")) as f:
        real = json.load(f)
    config = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": "<s>",
        "eos_token": "<|endoftext|>",
        "unk_token": "<unk>",
        "pad_token": "<|endoftext|>",
        "model_max_length": 4096,
        "clean_up_tokenization_spaces": False,
        "chat_template": real["chat_template"],
    }
    return tokenizer, config, vocab


def build() -> None:
    torch.set_num_threads(1)
    onnx_dir = os.path.join(OUT, "onnx")
    os.makedirs(onnx_dir, exist_ok=True)
    tokenizer, tokenizer_config, vocab = tokenizer_files()
    with open(os.path.join(REAL_MODEL, "config.json")) as f:
        config = json.load(f)
    config.update(TINY_TEXT)
    config["vocab_size"] = len(vocab)
    config["bos_token_id"] = vocab["<s>"]
    config["eos_token_id"] = vocab["<|endoftext|>"]
    config["img_processor"]["image_dim_out"] = TINY_VISION["hidden_size"]
    config["rope_scaling"] = None
    hidden = config["hidden_size"]
    head_dim = hidden // config["num_attention_heads"]

    torch.manual_seed(SEED)
    vision = Phi3VisionEncoder(TINY_VISION, hidden)
    randomize_norms(vision)
    export(
        vision,
        (torch.rand(1, 5, 3, CROP, CROP) * 2 - 1, torch.tensor([[2 * CROP, CROP]])),
        os.path.join(onnx_dir, "vision_encoder.onnx"),
        ["pixel_values", "image_sizes"],
        ["image_features"],
        {"pixel_values": {0: "batch_size", 1: "num_images"}, "image_sizes": {0: "batch_size"}, "image_features": {0: "num_image_tokens"}},
        {"image_features": ["num_image_tokens", hidden]},
    )

    torch.manual_seed(SEED + 1)
    embed = PrepareInputsEmbeds(len(vocab), hidden)
    export(
        embed,
        (torch.tensor([[5, -1, -1, 7, -1]]), torch.randn(3, hidden)),
        os.path.join(onnx_dir, "prepare_inputs_embeds.onnx"),
        ["input_ids", "image_features"],
        ["inputs_embeds"],
        {"input_ids": {0: "batch_size", 1: "sequence_length"}, "image_features": {0: "num_image_tokens"},
         "inputs_embeds": {0: "batch_size", 1: "sequence_length"}},
    )

    torch.manual_seed(SEED + 2)
    tc = {**config, "head_dim": head_dim, "rope_theta": config.get("rope_theta", 10000.0)}
    decoder = TinyLlamaDecoder(tc)
    randomize_norms(decoder)
    with torch.no_grad():
        for layer in decoder.layers:
            layer.self_attn.q_proj.weight.mul_(QK_GAIN)
            layer.self_attn.k_proj.weight.mul_(QK_GAIN)
            layer.self_attn.o_proj.weight.mul_(OUTPUT_GAIN)
        # Only lower-case letters and the space can win a greedy step (the largest of their random zero-mean
        # logits is above zero): answers are readable text, never stop early and never split a character.
        symbols = byte_symbols()
        readable = {vocab[symbols[ord(ch)]] for ch in "abcdefghijklmnopqrstuvwxyz "}
        for token_id in range(len(vocab)):
            if token_id not in readable:
                decoder.lm_head.weight[token_id] = 0.0
    export_decoder(decoder, tc, os.path.join(onnx_dir, "model.onnx"))

    write_json(os.path.join(OUT, "config.json"), config)
    write_json(os.path.join(OUT, "tokenizer.json"), tokenizer)
    write_json(os.path.join(OUT, "tokenizer_config.json"), tokenizer_config)
    with open(os.path.join(REAL_MODEL, "preprocessor_config.json")) as f:
        write_json(os.path.join(OUT, "preprocessor_config.json"), json.load(f))
    eos = [vocab["<|end|>"], vocab["<|assistant|>"], vocab["<|endoftext|>"]]
    write_json(os.path.join(OUT, "generation_config.json"), {"bos_token_id": vocab["<s>"], "eos_token_id": eos, "pad_token_id": vocab["<|endoftext|>"]})


if __name__ == "__main__":
    build()
