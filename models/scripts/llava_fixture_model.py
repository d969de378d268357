"""The tiny LLaVA-style model: CLIP-style ViT with a [CLS] token, LLaVA projector, Llama-style decoder.

Written so that torch 1.13's ONNX tracer exports it with dynamic sizes: eager attention (MatMul -> Softmax ->
MatMul, so the [CLS] row can be read back by graph surgery), causal masks built from index comparisons
(no tril), no repeat_interleave (one KV head per query head).
"""
import math
from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class VisionConfig:
    image_size: int = 128
    patch_size: int = 8
    hidden_size: int = 64
    intermediate_size: int = 256
    num_hidden_layers: int = 4
    num_attention_heads: int = 4
    layer_norm_eps: float = 1e-5

    @property
    def num_patches(self) -> int:
        return (self.image_size // self.patch_size) ** 2


@dataclass
class TextConfig:
    vocab_size: int = 64
    hidden_size: int = 128
    intermediate_size: int = 384
    num_hidden_layers: int = 3
    num_attention_heads: int = 4
    rms_norm_eps: float = 1e-5
    rope_theta: float = 10000.0
    max_position_embeddings: int = 512

    @property
    def head_dim(self) -> int:
        return self.hidden_size // self.num_attention_heads


def config_dict(cfg) -> dict:
    return asdict(cfg)


# --- vision tower (CLIP layout: pre-LN, quick_gelu, [CLS] first) -------------------------------------------

class VisionAttention(nn.Module):
    def __init__(self, cfg: VisionConfig):
        super().__init__()
        self.heads = cfg.num_attention_heads
        self.head_dim = cfg.hidden_size // cfg.num_attention_heads
        self.scale = self.head_dim ** -0.5
        self.q_proj = nn.Linear(cfg.hidden_size, cfg.hidden_size)
        self.k_proj = nn.Linear(cfg.hidden_size, cfg.hidden_size)
        self.v_proj = nn.Linear(cfg.hidden_size, cfg.hidden_size)
        self.out_proj = nn.Linear(cfg.hidden_size, cfg.hidden_size)

    def forward(self, x):
        b, n, d = x.shape
        split = lambda t: t.view(b, n, self.heads, self.head_dim).transpose(1, 2)
        q, k, v = split(self.q_proj(x)), split(self.k_proj(x)), split(self.v_proj(x))
        probs = torch.softmax(torch.matmul(q, k.transpose(-1, -2)) * self.scale, dim=-1)
        out = torch.matmul(probs, v).transpose(1, 2).reshape(b, n, d)
        return self.out_proj(out), probs


class VisionLayer(nn.Module):
    def __init__(self, cfg: VisionConfig):
        super().__init__()
        self.layer_norm1 = nn.LayerNorm(cfg.hidden_size, eps=cfg.layer_norm_eps)
        self.self_attn = VisionAttention(cfg)
        self.layer_norm2 = nn.LayerNorm(cfg.hidden_size, eps=cfg.layer_norm_eps)
        self.fc1 = nn.Linear(cfg.hidden_size, cfg.intermediate_size)
        self.fc2 = nn.Linear(cfg.intermediate_size, cfg.hidden_size)

    def forward(self, x):
        a, probs = self.self_attn(self.layer_norm1(x))
        x = x + a
        h = self.fc1(self.layer_norm2(x))
        x = x + self.fc2(h * torch.sigmoid(1.702 * h))
        return x, probs


def conv_stem(cfg: VisionConfig) -> nn.Sequential:
    """Patch embedding as early convolutions (ViT-C, Xiao et al. 2021): stride-2 3x3 convolutions down to the
    patch grid instead of one patch-sized linear projection. Same token grid, same transformer; a from-scratch
    ViT this small then tells a circle from a square in minutes of CPU instead of hours."""
    steps = int(math.log2(cfg.patch_size))
    assert 2 ** steps == cfg.patch_size, 'the conv stem needs a power-of-two patch size'
    widths = [3] + [cfg.hidden_size * 3 // 2 ** (steps - i + 1) for i in range(1, steps)] + [cfg.hidden_size]
    layers = []
    for i in range(steps):
        layers.append(nn.Conv2d(widths[i], widths[i + 1], 3, stride=2, padding=1))
        if i < steps - 1:
            layers.append(nn.GELU())
    return nn.Sequential(*layers)


class VisionTower(nn.Module):
    def __init__(self, cfg: VisionConfig):
        super().__init__()
        self.cfg = cfg
        self.patch_embedding = conv_stem(cfg)
        self.class_embedding = nn.Parameter(torch.randn(cfg.hidden_size) * 0.02)
        self.position_embedding = nn.Parameter(torch.randn(cfg.num_patches + 1, cfg.hidden_size) * 0.02)
        self.pre_layrnorm = nn.LayerNorm(cfg.hidden_size, eps=cfg.layer_norm_eps)
        self.layers = nn.ModuleList(VisionLayer(cfg) for _ in range(cfg.num_hidden_layers))
        self.post_layernorm = nn.LayerNorm(cfg.hidden_size, eps=cfg.layer_norm_eps)

    def forward(self, pixel_values, num_layers=None):
        """Hidden states after the embeddings and after each of the first `num_layers` layers, plus their
        attention probabilities."""
        b = pixel_values.shape[0]
        patches = self.patch_embedding(pixel_values).flatten(2).transpose(1, 2)
        cls = self.class_embedding.view(1, 1, -1).expand(b, 1, -1)
        x = self.pre_layrnorm(torch.cat([cls, patches], dim=1) + self.position_embedding)
        states, attentions = [x], []
        for layer in self.layers[: num_layers or len(self.layers)]:
            x, probs = layer(x)
            states.append(x)
            attentions.append(probs)
        return states, attentions


class Projector(nn.Module):
    """LLaVA's multi-modal projector: Linear -> GELU -> Linear."""

    def __init__(self, vision_hidden: int, text_hidden: int):
        super().__init__()
        self.linear_1 = nn.Linear(vision_hidden, text_hidden)
        self.linear_2 = nn.Linear(text_hidden, text_hidden)

    def forward(self, x):
        return self.linear_2(F.gelu(self.linear_1(x)))


# --- language model (Llama layout) ----------------------------------------------------------------------------

class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x):
        return self.weight * x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat([-x[..., half:], x[..., :half]], dim=-1)


class DecoderAttention(nn.Module):
    def __init__(self, cfg: TextConfig):
        super().__init__()
        self.heads = cfg.num_attention_heads
        self.head_dim = cfg.head_dim
        d = cfg.hidden_size
        self.q_proj = nn.Linear(d, d, bias=False)
        self.k_proj = nn.Linear(d, d, bias=False)
        self.v_proj = nn.Linear(d, d, bias=False)
        self.o_proj = nn.Linear(d, d, bias=False)
        # Set by the token compressor's training script, which reads (and differentiates) the probabilities.
        self.keep_probs = False
        self.probs = None

    def forward(self, x, cos, sin, mask, past_k=None, past_v=None):
        b, s, d = x.shape
        split = lambda t: t.view(b, s, self.heads, self.head_dim).transpose(1, 2)
        q, k, v = split(self.q_proj(x)), split(self.k_proj(x)), split(self.v_proj(x))
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        if past_k is not None:
            k = torch.cat([past_k, k], dim=2)
            v = torch.cat([past_v, v], dim=2)
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_dim) + mask
        probs = torch.softmax(scores, dim=-1)
        if self.keep_probs:
            self.probs = probs
        out = torch.matmul(probs, v).transpose(1, 2).reshape(b, s, d)
        return self.o_proj(out), k, v


class DecoderLayer(nn.Module):
    def __init__(self, cfg: TextConfig):
        super().__init__()
        self.input_layernorm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)
        self.self_attn = DecoderAttention(cfg)
        self.post_attention_layernorm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)
        self.gate_proj = nn.Linear(cfg.hidden_size, cfg.intermediate_size, bias=False)
        self.up_proj = nn.Linear(cfg.hidden_size, cfg.intermediate_size, bias=False)
        self.down_proj = nn.Linear(cfg.intermediate_size, cfg.hidden_size, bias=False)

    def forward(self, x, cos, sin, mask, past_k=None, past_v=None):
        a, k, v = self.self_attn(self.input_layernorm(x), cos, sin, mask, past_k, past_v)
        x = x + a
        h = self.post_attention_layernorm(x)
        return x + self.down_proj(F.silu(self.gate_proj(h)) * self.up_proj(h)), k, v


class LanguageModel(nn.Module):
    def __init__(self, cfg: TextConfig):
        super().__init__()
        self.cfg = cfg
        self.embed_tokens = nn.Embedding(cfg.vocab_size, cfg.hidden_size)
        self.layers = nn.ModuleList(DecoderLayer(cfg) for _ in range(cfg.num_hidden_layers))
        self.norm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)
        self.lm_head = nn.Linear(cfg.hidden_size, cfg.vocab_size, bias=False)
        inv_freq = 1.0 / (cfg.rope_theta ** (torch.arange(0, cfg.head_dim, 2).float() / cfg.head_dim))
        self.register_buffer('inv_freq', inv_freq, persistent=False)

    def forward(self, inputs_embeds, attention_mask, position_ids, past=None, visible=None):
        """attention_mask: [b, past + s] of 0/1; past: list of (key, value) [b, heads, past, head_dim];
        visible: training only, a [b, s, past + s] boolean mask that replaces the causal one.
        Returns logits and the new (key, value) per layer."""
        s = inputs_embeds.shape[1]
        freqs = position_ids.unsqueeze(-1).float() * self.inv_freq
        emb = torch.cat([freqs, freqs], dim=-1).unsqueeze(1)
        cos, sin = emb.cos(), emb.sin()
        # Key j is visible to query i when j <= its absolute index and j is not padding; indices come from
        # cumsum over the mask's shape so the traced graph keeps past and sequence lengths symbolic.
        if visible is None:
            key_index = torch.cumsum(torch.ones_like(attention_mask), dim=-1) - 1
            query_index = key_index[:, key_index.shape[1] - s:]
            visible = (key_index.unsqueeze(1) <= query_index.unsqueeze(2)) & (attention_mask.unsqueeze(1) > 0)
        mask = torch.where(visible, 0.0, -1e9).unsqueeze(1).to(inputs_embeds.dtype)
        x = inputs_embeds
        present = []
        for i, layer in enumerate(self.layers):
            pk, pv = past[i] if past is not None else (None, None)
            x, k, v = layer(x, cos, sin, mask, pk, pv)
            present.append((k, v))
        return self.lm_head(self.norm(x)), present


# --- the whole model --------------------------------------------------------------------------------------------

class TinyLlava(nn.Module):
    def __init__(self, vision: VisionConfig, text: TextConfig, aux_outputs: int, patch_classes):
        super().__init__()
        self.vision_tower = VisionTower(vision)
        self.multi_modal_projector = Projector(vision.hidden_size, text.hidden_size)
        self.language_model = LanguageModel(text)
        # Training-only heads that make [CLS] summarise the scene (as CLIP's contrastive loss does), read
        # from the penultimate and the last layer so both late [CLS] attention maps learn to find objects.
        self.cls_heads = nn.ModuleList(nn.Linear(vision.hidden_size, aux_outputs) for _ in range(2))
        # Training-only dense heads on the penultimate patch tokens (what the LLM reads): colour, shape, object
        # centre and quadrant per patch. They stand in for the pretraining a real CLIP tower brings: patch
        # features that already say what is where, so the small LLM learns to look things up in a CPU budget.
        self.patch_heads = nn.ModuleList(nn.Linear(vision.hidden_size, n) for n in patch_classes)

    def encode_vision(self, pixel_values):
        """The penultimate layer's patch tokens ([CLS] dropped, not yet projected), the auxiliary logits
        ([CLS] summaries of the last two layers, per-patch labels) and the attention maps."""
        states, attentions = self.vision_tower(pixel_values)
        post = self.vision_tower.post_layernorm
        cls_logits = [head(post(h[:, 0])) for head, h in zip(self.cls_heads, states[-2:])]
        patches = states[-2][:, 1:]
        patch_logits = [head(post(patches)) for head in self.patch_heads]
        return patches, (cls_logits, patch_logits), attentions

    def encode(self, pixel_values):
        """LLaVA's image features (penultimate layer, [CLS] dropped, projected), plus what encode_vision adds."""
        patches, aux, attentions = self.encode_vision(pixel_values)
        return self.multi_modal_projector(patches), aux, attentions


class VisionEncoderExport(nn.Module):
    """pixel_values -> image_features, computing only the layers LLaVA uses (up to the penultimate)."""

    def __init__(self, model: TinyLlava):
        super().__init__()
        self.model = model

    def forward(self, pixel_values):
        tower = self.model.vision_tower
        states, _ = tower(pixel_values, num_layers=tower.cfg.num_hidden_layers - 1)
        return self.model.multi_modal_projector(states[-1][:, 1:])


class EmbedTokensExport(nn.Module):
    def __init__(self, model: TinyLlava):
        super().__init__()
        self.embed = model.language_model.embed_tokens

    def forward(self, input_ids):
        return self.embed(input_ids)


class DecoderExport(nn.Module):
    def __init__(self, model: TinyLlava):
        super().__init__()
        self.lm = model.language_model

    def forward(self, inputs_embeds, attention_mask, position_ids, *flat_past):
        past = [(flat_past[2 * i], flat_past[2 * i + 1]) for i in range(len(flat_past) // 2)]
        logits, present = self.lm(inputs_embeds, attention_mask, position_ids, past)
        return (logits, *[t for kv in present for t in kv])
