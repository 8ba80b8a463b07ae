"""The micro model in PyTorch: a Llama-architecture decoder that maps one-to-one onto llama.cpp's ``llama`` GGUF.

Same arithmetic as llama.cpp's graph for ``general.architecture = llama``:
RMSNorm (eps 1e-5) before attention and feed-forward, rotary embeddings in
llama.cpp's "normal" layout (adjacent pairs ``x[2i], x[2i+1]`` rotate), causal
attention scaled by ``1/sqrt(head_dim)``, a SwiGLU feed-forward, a final
RMSNorm and an output head tied to the token embeddings.  Weights keep the
layout GGUF stores (``out x in``), so export is a rename (``GGUF_NAMES``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Dict, Iterator, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass(frozen=True)
class MicroConfig:
    n_vocab: int = 1024
    n_embd: int = 256
    n_layer: int = 4
    n_head: int = 4
    n_ff: int = 704
    n_ctx: int = 1024
    rope_base: float = 10000.0
    norm_eps: float = 1e-5

    def to_dict(self) -> Dict[str, object]:
        return asdict(self)


def rope_tables(cfg: MicroConfig, n_pos: int) -> Tuple[torch.Tensor, torch.Tensor]:
    head_dim = cfg.n_embd // cfg.n_head
    inv = cfg.rope_base ** (-torch.arange(0, head_dim, 2, dtype=torch.float64) / head_dim)
    angles = torch.arange(n_pos, dtype=torch.float64)[:, None] * inv[None, :]
    return torch.cos(angles).float(), torch.sin(angles).float()


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """``x``: (batch, heads, time, head_dim); pairs (2i, 2i+1) rotate by position * base^(-2i/d)."""
    x0, x1 = x[..., 0::2], x[..., 1::2]
    t = x.shape[-2]
    c, s = cos[:t], sin[:t]
    return torch.stack((x0 * c - x1 * s, x0 * s + x1 * c), dim=-1).flatten(-2)


class Block(nn.Module):
    def __init__(self, cfg: MicroConfig) -> None:
        super().__init__()
        d = cfg.n_embd
        self.n_head = cfg.n_head
        self.attn_norm = nn.RMSNorm(d, eps=cfg.norm_eps)
        self.attn_q = nn.Linear(d, d, bias=False)
        self.attn_k = nn.Linear(d, d, bias=False)
        self.attn_v = nn.Linear(d, d, bias=False)
        self.attn_output = nn.Linear(d, d, bias=False)
        self.ffn_norm = nn.RMSNorm(d, eps=cfg.norm_eps)
        self.ffn_gate = nn.Linear(d, cfg.n_ff, bias=False)
        self.ffn_up = nn.Linear(d, cfg.n_ff, bias=False)
        self.ffn_down = nn.Linear(cfg.n_ff, d, bias=False)

    def forward(self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        h = self.attn_norm(x)

        def heads(y: torch.Tensor) -> torch.Tensor:
            return y.view(b, t, self.n_head, d // self.n_head).transpose(1, 2)

        q = apply_rope(heads(self.attn_q(h)), cos, sin)
        k = apply_rope(heads(self.attn_k(h)), cos, sin)
        v = heads(self.attn_v(h))
        a = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        x = x + self.attn_output(a.transpose(1, 2).reshape(b, t, d))
        h = self.ffn_norm(x)
        return x + self.ffn_down(F.silu(self.ffn_gate(h)) * self.ffn_up(h))


class MicroLlama(nn.Module):
    def __init__(self, cfg: MicroConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.token_embd = nn.Embedding(cfg.n_vocab, cfg.n_embd)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layer))
        self.output_norm = nn.RMSNorm(cfg.n_embd, eps=cfg.norm_eps)
        cos, sin = rope_tables(cfg, cfg.n_ctx)
        self.register_buffer("cos", cos, persistent=False)
        self.register_buffer("sin", sin, persistent=False)
        nn.init.normal_(self.token_embd.weight, std=0.02)
        for block in self.blocks:
            for lin in (block.attn_q, block.attn_k, block.attn_v, block.ffn_gate, block.ffn_up):
                nn.init.normal_(lin.weight, std=0.02)
            for lin in (block.attn_output, block.ffn_down):
                nn.init.normal_(lin.weight, std=0.02 / (2 * cfg.n_layer) ** 0.5)

    def forward(self, tokens: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """Logits (batch, time, vocab); ``lengths`` masks right padding out of attention."""
        t = tokens.shape[1]
        causal = torch.ones(t, t, dtype=torch.bool).tril()
        mask = causal[None, None]
        if lengths is not None:
            keep = torch.arange(t)[None, :] < lengths[:, None]
            mask = mask & keep[:, None, None, :]
            mask = mask | torch.eye(t, dtype=torch.bool)[None, None]  # padded rows attend to themselves
        x = self.token_embd(tokens)
        for block in self.blocks:
            x = block(x, self.cos, self.sin, mask)
        return F.linear(self.output_norm(x), self.token_embd.weight)


def gguf_tensors(model: MicroLlama) -> Iterator[Tuple[str, torch.Tensor]]:
    """(GGUF tensor name, weight) pairs; the output head is tied, so llama.cpp reuses ``token_embd``."""
    yield "token_embd.weight", model.token_embd.weight
    yield "output_norm.weight", model.output_norm.weight
    for i, block in enumerate(model.blocks):
        for name in ("attn_norm", "attn_q", "attn_k", "attn_v", "attn_output", "ffn_norm", "ffn_gate", "ffn_up", "ffn_down"):
            yield f"blk.{i}.{name}.weight", getattr(block, name).weight
