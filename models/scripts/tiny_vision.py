"""Tiny vision transformers in PyTorch, written to export cleanly with torch 1.13.

Attention is eager (MatMul -> Mul -> [Add mask] -> Softmax -> MatMul) on purpose:
graph surgery finds one Softmax per layer, and fuse_attention.py rewrites exactly
this pattern into com.microsoft:MultiHeadAttention.
"""

import torch
from torch import nn
from torch.nn import functional as F


class EagerSelfAttention(nn.Module):
    def __init__(self, hidden: int, heads: int):
        super().__init__()
        self.heads = heads
        self.head_dim = hidden // heads
        self.scale = self.head_dim ** -0.5
        self.q_proj = nn.Linear(hidden, hidden)
        self.k_proj = nn.Linear(hidden, hidden)
        self.v_proj = nn.Linear(hidden, hidden)
        self.out_proj = nn.Linear(hidden, hidden)

    def split_heads(self, x: torch.Tensor) -> torch.Tensor:
        # -1 for batch and sequence keeps both dynamic in the traced graph.
        return x.reshape(x.shape[0], -1, self.heads, self.head_dim).transpose(1, 2)

    def forward(self, x: torch.Tensor, key_bias: torch.Tensor = None) -> torch.Tensor:
        q = self.split_heads(self.q_proj(x))
        k = self.split_heads(self.k_proj(x))
        v = self.split_heads(self.v_proj(x))
        scores = torch.matmul(q, k.transpose(2, 3)) * self.scale
        if key_bias is not None:
            scores = scores + key_bias
        probs = torch.softmax(scores, dim=-1)
        context = torch.matmul(probs, v).transpose(1, 2)
        context = context.reshape(x.shape[0], -1, self.heads * self.head_dim)
        return self.out_proj(context)


class EncoderLayer(nn.Module):
    """Pre-norm transformer layer as in SigLIP and CLIP (they differ only in the activation)."""

    def __init__(self, hidden: int, heads: int, intermediate: int, activation, eps: float):
        super().__init__()
        self.layer_norm1 = nn.LayerNorm(hidden, eps=eps)
        self.self_attn = EagerSelfAttention(hidden, heads)
        self.layer_norm2 = nn.LayerNorm(hidden, eps=eps)
        self.fc1 = nn.Linear(hidden, intermediate)
        self.fc2 = nn.Linear(intermediate, hidden)
        self.activation = activation

    def forward(self, x: torch.Tensor, key_bias: torch.Tensor = None) -> torch.Tensor:
        x = x + self.self_attn(self.layer_norm1(x), key_bias)
        return x + self.fc2(self.activation(self.fc1(self.layer_norm2(x))))


def gelu_tanh(x: torch.Tensor) -> torch.Tensor:
    return F.gelu(x, approximate="tanh")


def quick_gelu(x: torch.Tensor) -> torch.Tensor:
    return x * torch.sigmoid(1.702 * x)


class Idefics3VisionEncoder(nn.Module):
    """SigLIP tower + Idefics3 connector (pixel shuffle, linear projection), as in the
    onnx-community vision_encoder.onnx: pixel_values [B, N, 3, H, W] and
    pixel_attention_mask [B, N, H, W] -> image_features [B*N*tokens, text_hidden]."""

    def __init__(self, vc: dict, text_hidden: int, scale_factor: int):
        super().__init__()
        hidden = vc["hidden_size"]
        self.patch = vc["patch_size"]
        self.positions_per_side = vc["image_size"] // self.patch
        self.scale_factor = scale_factor
        self.patch_embedding = nn.Conv2d(3, hidden, self.patch, self.patch)
        self.position_embedding = nn.Embedding(self.positions_per_side ** 2, hidden)
        self.layers = nn.ModuleList(
            EncoderLayer(hidden, vc["num_attention_heads"], vc["intermediate_size"], gelu_tanh, vc["layer_norm_eps"])
            for _ in range(vc["num_hidden_layers"])
        )
        self.post_layernorm = nn.LayerNorm(hidden, eps=vc["layer_norm_eps"])
        self.modality_projection = nn.Linear(hidden * scale_factor ** 2, text_hidden, bias=False)

    def position_ids(self, rows: torch.Tensor, cols: torch.Tensor) -> torch.Tensor:
        # Idefics3 buckets fractional patch coordinates into the positions_per_side grid;
        # at the native 512 px this is the identity 0..1023.
        side = self.positions_per_side
        row_bucket = torch.floor(torch.arange(rows, dtype=torch.float32) / rows * side).long()
        col_bucket = torch.floor(torch.arange(cols, dtype=torch.float32) / cols * side).long()
        return (row_bucket[:, None] * side + col_bucket[None, :]).reshape(-1)

    def pixel_shuffle(self, x: torch.Tensor, rows: torch.Tensor, cols: torch.Tensor) -> torch.Tensor:
        # Same element order as transformers' Idefics3Connector.pixel_shuffle (square grids).
        s = self.scale_factor
        n, _, dim = x.shape
        x = x.reshape(n, rows, cols // s, dim * s)
        x = x.permute(0, 2, 1, 3)
        x = x.reshape(n, cols // s, rows // s, dim * s * s)
        x = x.permute(0, 2, 1, 3)
        return x.reshape(n, -1, dim * s * s)

    def tower(self, images: torch.Tensor, key_bias: torch.Tensor = None):
        """images [n, 3, H, W] -> the last layer's normed patch states [n, rows*cols, hidden], rows, cols."""
        patches = self.patch_embedding(images)
        rows, cols = patches.shape[2], patches.shape[3]
        x = patches.flatten(2).transpose(1, 2) + self.position_embedding(self.position_ids(rows, cols))
        for layer in self.layers:
            x = layer(x, key_bias)
        return self.post_layernorm(x), rows, cols

    def forward(self, pixel_values: torch.Tensor, pixel_attention_mask: torch.Tensor) -> torch.Tensor:
        channels, height, width = pixel_values.shape[2:]
        images = pixel_values.reshape(-1, channels, height, width)

        # A patch is real when any of its pixels is; padded patches are masked as attention keys.
        pixel_mask = pixel_attention_mask.reshape(-1, 1, height, width).to(torch.float32)
        patch_mask = F.max_pool2d(pixel_mask, self.patch).flatten(1)
        masked = torch.full((), torch.finfo(torch.float32).min)
        key_bias = torch.where(patch_mask > 0, torch.zeros(()), masked)[:, None, None, :]

        x, rows, cols = self.tower(images, key_bias)
        features = self.modality_projection(self.pixel_shuffle(x, rows, cols))
        return features.reshape(-1, features.shape[-1])


class TinySiglipEncoder(nn.Module):
    """SigLIP-style encoder without [CLS]: pixel_values [B, 3, S, S] -> image_features [B, patches, hidden]."""

    def __init__(self, image_size: int, patch: int, hidden: int, heads: int, intermediate: int, layers: int):
        super().__init__()
        self.patch_embedding = nn.Conv2d(3, hidden, patch, patch)
        self.position_embedding = nn.Parameter(torch.randn(1, (image_size // patch) ** 2, hidden) * 0.02)
        self.layers = nn.ModuleList(
            EncoderLayer(hidden, heads, intermediate, gelu_tanh, 1e-6) for _ in range(layers)
        )
        self.post_layernorm = nn.LayerNorm(hidden, eps=1e-6)

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        x = self.patch_embedding(pixel_values).flatten(2).transpose(1, 2) + self.position_embedding
        for layer in self.layers:
            x = layer(x)
        return self.post_layernorm(x)


class TinyClipEncoder(nn.Module):
    """CLIP-style encoder with a [CLS] token at position 0:
    pixel_values [B, 3, S, S] -> image_features [B, 1 + patches, hidden] (last layer, as LLaVA reads it)."""

    def __init__(self, image_size: int, patch: int, hidden: int, heads: int, intermediate: int, layers: int):
        super().__init__()
        self.patch_embedding = nn.Conv2d(3, hidden, patch, patch, bias=False)
        self.class_embedding = nn.Parameter(torch.randn(1, 1, hidden))
        self.position_embedding = nn.Parameter(torch.randn(1, 1 + (image_size // patch) ** 2, hidden) * 0.02)
        self.pre_layrnorm = nn.LayerNorm(hidden, eps=1e-5)
        self.layers = nn.ModuleList(
            EncoderLayer(hidden, heads, intermediate, quick_gelu, 1e-5) for _ in range(layers)
        )

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        patches = self.patch_embedding(pixel_values).flatten(2).transpose(1, 2)
        cls = self.class_embedding.expand(patches.shape[0], -1, -1)
        x = self.pre_layrnorm(torch.cat([cls, patches], dim=1) + self.position_embedding)
        for layer in self.layers:
            x = layer(x)
        return x
