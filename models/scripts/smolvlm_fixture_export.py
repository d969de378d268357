"""Export the trained SmolVLM-layout fixture in onnx-community's SmolVLM layout: vision_encoder.onnx
(pixel_values + pixel_attention_mask -> image_features, pixel shuffle and projection inside),
embed_tokens.onnx, decoder_model_merged.onnx, SmolVLM-256M-Instruct's configs with the sizes shrunk, its
chat template, and a word-level tokenizer.json that holds Idefics3's special tokens."""
import os
import shutil

import torch

from build_smolvlm_fixture import REAL_MODEL, export, real_config, write_json
from llava_fixture_data import Tokenizer
from llava_fixture_export import export_language, tokenizer_json
from smolvlm_fixture_data import EOU, FAKE, IM_START, IMAGE, PAD, UNK, special_tokens


def hf_files(model, tok: Tokenizer, grid: int, scene: int) -> dict:
    from train_smolvlm_fixture import SCALE, VISION
    tc = model.language_model.cfg
    eou, pad = tok.id(EOU), tok.id(PAD)
    config = real_config()
    tile = VISION['image_size']
    config['vocab_size'] = tc.vocab_size
    config['image_token_id'] = tok.id(IMAGE)
    config['scale_factor'] = SCALE
    config['vision_config'].update({**VISION, 'max_image_size': {'longest_edge': tile}, 'size': {'longest_edge': scene}})
    config['text_config'].update({
        'vocab_size': tc.vocab_size, 'hidden_size': tc.hidden_size, 'intermediate_size': tc.intermediate_size,
        'num_hidden_layers': tc.num_hidden_layers, 'num_attention_heads': tc.num_attention_heads,
        'num_key_value_heads': tc.num_attention_heads, 'head_dim': tc.head_dim, 'rms_norm_eps': tc.rms_norm_eps,
        'rope_theta': tc.rope_theta, 'bos_token_id': tok.id(IM_START), 'eos_token_id': eou, 'pad_token_id': pad,
        'tie_word_embeddings': False,
    })
    import json
    with open(os.path.join(REAL_MODEL, 'preprocessor_config.json')) as f:
        preprocessor = json.load(f)
    preprocessor.update({'max_image_size': {'longest_edge': tile}, 'size': {'longest_edge': scene}})
    specials = special_tokens(grid)
    with open(os.path.join(REAL_MODEL, 'chat_template.json')) as f:
        template = json.load(f)['chat_template']
    return {
        'config.json': config,
        'preprocessor_config.json': preprocessor,
        'processor_config.json': {'image_seq_len': (tile // VISION['patch_size'] // SCALE) ** 2, 'processor_class': 'Idefics3Processor'},
        'tokenizer.json': tokenizer_json(tok, specials),
        'tokenizer_config.json': {
            'tokenizer_class': 'PreTrainedTokenizerFast', 'model_max_length': 8192, 'bos_token': IM_START,
            'eos_token': EOU, 'pad_token': PAD, 'unk_token': UNK, 'clean_up_tokenization_spaces': True,
            'additional_special_tokens': [FAKE, IMAGE, EOU], 'chat_template': template,
        },
        'special_tokens_map.json': {'bos_token': IM_START, 'eos_token': EOU, 'pad_token': PAD, 'unk_token': UNK,
                                    'additional_special_tokens': [FAKE, IMAGE, EOU]},
        'added_tokens.json': {t: tok.id(t) for t in specials},
        'generation_config.json': {'bos_token_id': tok.id(IM_START), 'eos_token_id': eou, 'pad_token_id': pad},
    }


@torch.no_grad()
def export_fixture(model, tok: Tokenizer, out_dir: str, report: dict, grid: int = 3, scene: int = 192):
    onnx_dir = os.path.join(out_dir, 'onnx')
    os.makedirs(onnx_dir, exist_ok=True)
    model.eval()
    side = model.vision.positions_per_side * model.vision.patch
    hidden = model.language_model.cfg.hidden_size
    export(
        model.vision,
        (torch.rand(1, 2, 3, side, side) * 2 - 1, torch.ones(1, 2, side, side, dtype=torch.bool)),
        os.path.join(onnx_dir, 'vision_encoder.onnx'),
        ['pixel_values', 'pixel_attention_mask'],
        ['image_features'],
        {
            'pixel_values': {0: 'batch_size', 1: 'num_images', 3: 'height', 4: 'width'},
            'pixel_attention_mask': {0: 'batch_size', 1: 'num_images', 2: 'height', 3: 'width'},
            'image_features': {0: 'num_image_tokens'},
        },
        {'image_features': ['num_image_tokens', hidden]},
    )
    export_language(model, onnx_dir)
    for name, obj in hf_files(model, tok, grid, scene).items():
        write_json(os.path.join(out_dir, name), obj)
    shutil.copyfile(os.path.join(REAL_MODEL, 'chat_template.json'), os.path.join(out_dir, 'chat_template.json'))
    write_json(os.path.join(out_dir, 'training-report.json'), report)
