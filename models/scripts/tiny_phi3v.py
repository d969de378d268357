"""Tiny Phi-3-vision modules in PyTorch, shaped like the onnx-community Phi-3.5-vision-instruct export that
transformers.js runs as `phi3_v` (sessions vision_encoder, prepare_inputs_embeds, model).

The vision encoder follows the HD transform of the published modeling code (image_embedding_phi3_v.py):
a CLIP tower with a [CLS] token over every crop, the features of its penultimate layer without [CLS],
2x2 patches merged into one token (12x12 tokens per 336 px crop), the first h*w sub-crops laid out as an
(h*12) x (w*12) grid with the learned `sub_GN` newline after every row, the learned `glb_GN` separator,
then the global view (crop 0) with its newlines, all through a two-layer projection. h and w come from
`image_sizes` (the padded HD size in pixels, multiples of 336), as the export takes them.
"""

import torch
from torch import nn
from torch.nn import functional as F

from tiny_vision import EncoderLayer, quick_gelu

CROP = 336


class Phi3VisionEncoder(nn.Module):
    """pixel_values [1, crops, 3, 336, 336], image_sizes [1, 2] (int64 height, width) -> image_features [tokens, text_hidden]."""

    def __init__(self, vc: dict, text_hidden: int):
        super().__init__()
        hidden, patch = vc["hidden_size"], vc["patch_size"]
        self.side = CROP // patch
        self.patch_embedding = nn.Conv2d(3, hidden, patch, patch, bias=False)
        self.class_embedding = nn.Parameter(torch.randn(1, 1, hidden))
        self.position_embedding = nn.Parameter(torch.randn(1, 1 + self.side ** 2, hidden) * 0.02)
        self.pre_layrnorm = nn.LayerNorm(hidden, eps=1e-5)
        self.layers = nn.ModuleList(
            EncoderLayer(hidden, vc["num_attention_heads"], vc["intermediate_size"], quick_gelu, 1e-5)
            for _ in range(vc["num_hidden_layers"])
        )
        merged = 4 * hidden
        self.sub_GN = nn.Parameter(torch.randn(1, 1, 1, merged))
        self.glb_GN = nn.Parameter(torch.randn(1, 1, merged))
        self.img_projection = nn.Sequential(nn.Linear(merged, text_hidden), nn.GELU(), nn.Linear(text_hidden, text_hidden))

    def penultimate(self, crops: torch.Tensor) -> torch.Tensor:
        patches = self.patch_embedding(crops).flatten(2).transpose(1, 2)
        cls = self.class_embedding.expand(patches.shape[0], -1, -1)
        x = self.pre_layrnorm(torch.cat([cls, patches], dim=1) + self.position_embedding)
        # hidden_states[-2]: the last layer does not feed the features (the exporter drops it).
        for layer in self.layers[:-1]:
            x = layer(x)
        return x[:, 1:]

    def merge_2x2(self, x: torch.Tensor) -> torch.Tensor:
        # [crops, 24*24, C] -> [crops, 12, 12, 4C]; token (r, c) holds patches rows 2r..2r+1, cols 2c..2c+1.
        n, _, channels = x.shape
        half = self.side // 2
        x = x.reshape(n, half, 2, half, 2, channels).permute(0, 1, 3, 2, 4, 5)
        return x.reshape(n, half, half, 4 * channels)

    def forward(self, pixel_values: torch.Tensor, image_sizes: torch.Tensor) -> torch.Tensor:
        crops = pixel_values.reshape(-1, 3, CROP, CROP)
        merged = self.merge_2x2(self.penultimate(crops))
        half, channels = merged.shape[1], merged.shape[3]
        h = image_sizes[0, 0] // CROP
        w = image_sizes[0, 1] // CROP

        glb = merged[0]
        glb = torch.cat([glb, self.sub_GN[0].expand(half, 1, channels)], dim=1).reshape(-1, channels)

        sub = torch.index_select(merged, 0, torch.arange(1, 1 + h * w))
        sub = sub.reshape(h, w, half, half, channels).permute(0, 2, 1, 3, 4).reshape(h * half, w * half, channels)
        sub = torch.cat([sub, self.sub_GN[0].expand(h * half, 1, channels)], dim=1).reshape(-1, channels)

        tokens = torch.cat([sub, self.glb_GN[0], glb], dim=0)
        return self.img_projection(tokens)


class PrepareInputsEmbeds(nn.Module):
    """input_ids [B, L] (image tokens negative) + image_features [N, hidden] -> inputs_embeds [B, L, hidden]:
    the n-th negative id takes feature row n; a text-only step passes N = 0."""

    def __init__(self, vocab: int, hidden: int):
        super().__init__()
        self.embed_tokens = nn.Embedding(vocab, hidden)

    def forward(self, input_ids: torch.Tensor, image_features: torch.Tensor) -> torch.Tensor:
        is_image = input_ids < 0
        text = self.embed_tokens(torch.where(is_image, torch.zeros_like(input_ids), input_ids))
        # Non-image positions read an appended zero row, so an empty feature list is never indexed.
        padded = torch.cat([image_features, torch.zeros(1, image_features.shape[1])], dim=0)
        rows = torch.cumsum(is_image.reshape(-1).to(torch.int64), 0) - 1
        rows = torch.where(is_image.reshape(-1), rows, torch.full_like(rows, image_features.shape[0]))
        images = torch.index_select(padded, 0, rows).reshape(text.shape)
        return torch.where(is_image[..., None], images, text)
