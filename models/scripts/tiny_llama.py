"""Tiny Llama-style decoder with a KV cache, shaped like onnx-community decoder_model_merged.onnx.

torch 1.13's tracer bakes the dummy sizes into repeat_interleave and tril-built masks,
so grouped KV heads use expand + reshape and the causal mask comes from arange comparisons.
"""

import torch
from torch import nn
from torch.nn import functional as F


class RMSNorm(nn.Module):
    def __init__(self, hidden: int, eps: float):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(hidden))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rotate_half(x: torch.Tensor) -> torch.Tensor:
    half = x.shape[-1] // 2
    return torch.cat([-x[..., half:], x[..., :half]], dim=-1)


class GroupedQueryAttention(nn.Module):
    def __init__(self, tc: dict):
        super().__init__()
        hidden = tc["hidden_size"]
        self.heads = tc["num_attention_heads"]
        self.kv_heads = tc["num_key_value_heads"]
        self.head_dim = tc["head_dim"]
        self.q_proj = nn.Linear(hidden, self.heads * self.head_dim, bias=False)
        self.k_proj = nn.Linear(hidden, self.kv_heads * self.head_dim, bias=False)
        self.v_proj = nn.Linear(hidden, self.kv_heads * self.head_dim, bias=False)
        self.o_proj = nn.Linear(self.heads * self.head_dim, hidden, bias=False)

    def split(self, x: torch.Tensor, heads: int) -> torch.Tensor:
        return x.reshape(x.shape[0], x.shape[1], heads, self.head_dim).transpose(1, 2)

    def share_kv(self, x: torch.Tensor) -> torch.Tensor:
        groups = self.heads // self.kv_heads
        batch, _, length, dim = x.shape
        return x[:, :, None].expand(-1, -1, groups, -1, -1).reshape(batch, self.heads, length, dim)

    def forward(self, x, cos, sin, bias, past_key, past_value):
        q = self.split(self.q_proj(x), self.heads)
        k = self.split(self.k_proj(x), self.kv_heads)
        v = self.split(self.v_proj(x), self.kv_heads)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        key = torch.cat([past_key, k], dim=2)
        value = torch.cat([past_value, v], dim=2)
        scores = torch.matmul(q, self.share_kv(key).transpose(2, 3)) * self.head_dim ** -0.5
        probs = torch.softmax(scores + bias, dim=-1)
        context = torch.matmul(probs, self.share_kv(value)).transpose(1, 2)
        context = context.reshape(x.shape[0], x.shape[1], self.heads * self.head_dim)
        return self.o_proj(context), key, value


class DecoderLayer(nn.Module):
    def __init__(self, tc: dict):
        super().__init__()
        hidden, intermediate = tc["hidden_size"], tc["intermediate_size"]
        self.input_layernorm = RMSNorm(hidden, tc["rms_norm_eps"])
        self.self_attn = GroupedQueryAttention(tc)
        self.post_attention_layernorm = RMSNorm(hidden, tc["rms_norm_eps"])
        self.gate_proj = nn.Linear(hidden, intermediate, bias=False)
        self.up_proj = nn.Linear(hidden, intermediate, bias=False)
        self.down_proj = nn.Linear(intermediate, hidden, bias=False)

    def forward(self, x, cos, sin, bias, past_key, past_value):
        attended, key, value = self.self_attn(self.input_layernorm(x), cos, sin, bias, past_key, past_value)
        x = x + attended
        h = self.post_attention_layernorm(x)
        return x + self.down_proj(F.silu(self.gate_proj(h)) * self.up_proj(h)), key, value


class TinyLlamaDecoder(nn.Module):
    """(inputs_embeds, attention_mask, position_ids, past k/v per layer...) -> (logits, present k/v per layer...)."""

    def __init__(self, tc: dict):
        super().__init__()
        self.layers = nn.ModuleList(DecoderLayer(tc) for _ in range(tc["num_hidden_layers"]))
        self.norm = RMSNorm(tc["hidden_size"], tc["rms_norm_eps"])
        self.lm_head = nn.Linear(tc["hidden_size"], tc["vocab_size"], bias=False)
        half = tc["head_dim"] // 2
        inv_freq = 1.0 / (tc["rope_theta"] ** (torch.arange(half, dtype=torch.float32) / half))
        self.register_buffer("inv_freq", inv_freq, persistent=False)

    def rotary(self, position_ids: torch.Tensor):
        freqs = position_ids[:, :, None].to(torch.float32) * self.inv_freq
        angles = torch.cat([freqs, freqs], dim=-1)[:, None]
        return torch.cos(angles), torch.sin(angles)

    def attention_bias(self, attention_mask: torch.Tensor, query_len, past_len) -> torch.Tensor:
        # Query i sits at absolute position past_len + i; it sees key j when j <= that and the key is not padding.
        keys = torch.arange(attention_mask.shape[1])
        queries = torch.arange(query_len) + past_len
        causal = keys[None, :] <= queries[:, None]
        allowed = causal[None, None] & (attention_mask[:, None, None, :] > 0)
        return torch.where(allowed, torch.zeros(()), torch.full((), torch.finfo(torch.float32).min))

    def forward(self, inputs_embeds, attention_mask, position_ids, *past):
        cos, sin = self.rotary(position_ids)
        bias = self.attention_bias(attention_mask, inputs_embeds.shape[1], past[0].shape[2])
        x = inputs_embeds
        present = []
        for index, layer in enumerate(self.layers):
            x, key, value = layer(x, cos, sin, bias, past[2 * index], past[2 * index + 1])
            present += [key, value]
        return (self.lm_head(self.norm(x)), *present)
