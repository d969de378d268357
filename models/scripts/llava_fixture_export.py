"""Export the trained tiny LLaVA to the onnx-community layout that transformers.js runs:
onnx/{vision_encoder,embed_tokens,decoder_model_merged}.onnx plus the HF config, processor and tokenizer
files. The vision encoder is exported without attention outputs, as real exports are, so the project's
graph surgery is what gets tested on it."""
import json
import os

import torch

from llava_fixture_data import EOS, IMAGE, PAD, SPECIAL_TOKENS, UNK, Tokenizer
from llava_fixture_model import DecoderExport, EmbedTokensExport, TinyLlava, VisionEncoderExport

OPSET = 14
CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
CLIP_STD = [0.26862954, 0.26130258, 0.27577711]

# llava-1.5's prompt format, lowercased by the tokenizer's normalizer.
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{% if message['role'] == 'user' %}{{ 'USER: ' }}"
    "{% if message['content'] is string %}{{ message['content'] }}{% else %}"
    "{% for part in message['content'] %}"
    "{% if part['type'] == 'image' %}{{ '<image>\n' }}{% elif part['type'] == 'text' %}{{ part['text'] }}{% endif %}"
    "{% endfor %}{% endif %}{{ ' ' }}"
    "{% else %}{{ 'ASSISTANT: ' }}"
    "{% if message['content'] is string %}{{ message['content'] }}{% else %}"
    "{% for part in message['content'] %}{{ part['text'] }}{% endfor %}{% endif %}{{ eos_token }}"
    "{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}{{ 'ASSISTANT:' }}{% endif %}"
)


def write_json(path, obj):
    with open(path, 'w') as f:
        json.dump(obj, f, indent=2)
        f.write('\n')


def tokenizer_json(tok: Tokenizer, specials: list = SPECIAL_TOKENS) -> dict:
    """A word-level tokenizer.json over tok's vocabulary, `specials` matched before normalisation."""
    added = [{'id': tok.id(t), 'content': t, 'single_word': False, 'lstrip': False, 'rstrip': False,
              'normalized': False, 'special': True} for t in specials]
    return {
        'version': '1.0', 'truncation': None, 'padding': None, 'added_tokens': added,
        'normalizer': {'type': 'Lowercase'},
        'pre_tokenizer': {'type': 'Whitespace'},
        'post_processor': None,
        # WordPiece's decoder joins words with spaces and glues punctuation back ("is it red ?" -> "is it red?").
        'decoder': {'type': 'WordPiece', 'prefix': '##', 'cleanup': True},
        'model': {'type': 'WordLevel', 'vocab': {w: i for i, w in enumerate(tok.vocab)}, 'unk_token': UNK},
    }


def hf_configs(model: TinyLlava, tok: Tokenizer) -> dict:
    vc, tc = model.vision_tower.cfg, model.language_model.cfg
    eos, pad = tok.id(EOS), tok.id(PAD)
    config = {
        'architectures': ['LlavaForConditionalGeneration'],
        'model_type': 'llava',
        'image_token_index': tok.id(IMAGE),
        'projector_hidden_act': 'gelu',
        'vision_feature_layer': -2,
        'vision_feature_select_strategy': 'default',
        'image_seq_length': vc.num_patches,
        'pad_token_id': pad,
        'vision_config': {
            'model_type': 'clip_vision_model', 'hidden_size': vc.hidden_size, 'image_size': vc.image_size,
            'patch_size': vc.patch_size, 'intermediate_size': vc.intermediate_size,
            'num_hidden_layers': vc.num_hidden_layers, 'num_attention_heads': vc.num_attention_heads,
            'hidden_act': 'quick_gelu', 'layer_norm_eps': vc.layer_norm_eps, 'num_channels': 3,
        },
        'text_config': {
            'model_type': 'llama', 'vocab_size': tc.vocab_size, 'hidden_size': tc.hidden_size,
            'intermediate_size': tc.intermediate_size, 'num_hidden_layers': tc.num_hidden_layers,
            'num_attention_heads': tc.num_attention_heads, 'num_key_value_heads': tc.num_attention_heads,
            'head_dim': tc.head_dim, 'hidden_act': 'silu', 'rms_norm_eps': tc.rms_norm_eps,
            'rope_theta': tc.rope_theta, 'max_position_embeddings': tc.max_position_embeddings,
            'eos_token_id': eos, 'pad_token_id': pad, 'tie_word_embeddings': False,
        },
    }
    preprocessor = {
        # AutoProcessor picks the processor class from here, as in llava-hf's repositories.
        'image_processor_type': 'CLIPImageProcessor', 'processor_class': 'LlavaProcessor', 'do_convert_rgb': True,
        'do_resize': True, 'size': {'shortest_edge': vc.image_size}, 'resample': 3,
        'do_center_crop': True, 'crop_size': {'height': vc.image_size, 'width': vc.image_size},
        'do_rescale': True, 'rescale_factor': 1 / 255, 'do_normalize': True,
        'image_mean': CLIP_MEAN, 'image_std': CLIP_STD,
    }
    # transformers.js's LlavaProcessor emits (h/patch)*(w/patch) + num_additional_image_tokens image tokens
    # and does not subtract the dropped [CLS] itself, so 0 here gives exactly the 'default' strategy's count.
    processor = {
        'processor_class': 'LlavaProcessor', 'image_token': IMAGE, 'patch_size': vc.patch_size,
        'num_additional_image_tokens': 0, 'vision_feature_select_strategy': 'default',
    }
    tokenizer_config = {
        'tokenizer_class': 'PreTrainedTokenizerFast', 'model_max_length': tc.max_position_embeddings,
        'bos_token': None, 'eos_token': EOS, 'pad_token': PAD, 'unk_token': UNK,
        'clean_up_tokenization_spaces': True, 'chat_template': CHAT_TEMPLATE,
    }
    generation = {'eos_token_id': eos, 'pad_token_id': pad, 'do_sample': False, 'max_new_tokens': 8}
    return {'config.json': config, 'preprocessor_config.json': preprocessor, 'processor_config.json': processor,
            'tokenizer_config.json': tokenizer_config, 'generation_config.json': generation,
            'special_tokens_map.json': {'eos_token': EOS, 'pad_token': PAD, 'unk_token': UNK},
            'tokenizer.json': tokenizer_json(tok)}


@torch.no_grad()
def export_onnx(model: TinyLlava, onnx_dir: str):
    model.eval()
    vc = model.vision_tower.cfg
    torch.onnx.export(
        VisionEncoderExport(model), (torch.randn(1, 3, vc.image_size, vc.image_size),),
        os.path.join(onnx_dir, 'vision_encoder.onnx'), opset_version=OPSET,
        input_names=['pixel_values'], output_names=['image_features'],
        dynamic_axes={'pixel_values': {0: 'batch_size'}, 'image_features': {0: 'batch_size'}})
    export_language(model, onnx_dir)


@torch.no_grad()
def export_language(model, onnx_dir: str):
    """embed_tokens.onnx and decoder_model_merged.onnx of `model.language_model` (any fixture whose LLM is
    llava_fixture_model's LanguageModel), with onnx-community's input and output names."""
    model.eval()
    tc = model.language_model.cfg
    torch.onnx.export(
        EmbedTokensExport(model), (torch.tensor([[1, 2, 3]]),), os.path.join(onnx_dir, 'embed_tokens.onnx'),
        opset_version=OPSET, input_names=['input_ids'], output_names=['inputs_embeds'],
        dynamic_axes={'input_ids': {0: 'batch_size', 1: 'sequence_length'},
                      'inputs_embeds': {0: 'batch_size', 1: 'sequence_length'}})
    # Dummy: batch 2, 5 new tokens after 3 cached ones; the graph must not depend on these sizes.
    b, s, past = 2, 5, 3
    layers, heads, hd = tc.num_hidden_layers, tc.num_attention_heads, tc.head_dim
    flat_past, past_names, present_names, axes = [], [], [], {
        'inputs_embeds': {0: 'batch_size', 1: 'sequence_length'},
        'attention_mask': {0: 'batch_size', 1: 'total_sequence_length'},
        'position_ids': {0: 'batch_size', 1: 'sequence_length'},
        'logits': {0: 'batch_size', 1: 'sequence_length'},
    }
    for i in range(layers):
        for kind in ('key', 'value'):
            flat_past.append(torch.randn(b, heads, past, hd))
            past_names.append(f'past_key_values.{i}.{kind}')
            present_names.append(f'present.{i}.{kind}')
            axes[past_names[-1]] = {0: 'batch_size', 2: 'past_sequence_length'}
            axes[present_names[-1]] = {0: 'batch_size', 2: 'total_sequence_length'}
    torch.onnx.export(
        DecoderExport(model),
        (torch.randn(b, s, tc.hidden_size), torch.ones(b, past + s, dtype=torch.long),
         torch.arange(past, past + s).expand(b, s).contiguous(), *flat_past),
        os.path.join(onnx_dir, 'decoder_model_merged.onnx'), opset_version=OPSET,
        input_names=['inputs_embeds', 'attention_mask', 'position_ids', *past_names],
        output_names=['logits', *present_names], dynamic_axes=axes)


def export_fixture(model: TinyLlava, tok: Tokenizer, out_dir: str, report: dict):
    os.makedirs(os.path.join(out_dir, 'onnx'), exist_ok=True)
    export_onnx(model, os.path.join(out_dir, 'onnx'))
    for name, obj in hf_configs(model, tok).items():
        write_json(os.path.join(out_dir, name), obj)
    write_json(os.path.join(out_dir, 'training-report.json'), report)
