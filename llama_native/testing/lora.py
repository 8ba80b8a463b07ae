"""Random LoRA adapters for the test models: large enough deltas to change a random model's greedy output."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from .models import _cached_file, _spec_key
from .writer import ModelSpec, _finish


def write_lora(
    path: os.PathLike | str,
    spec: ModelSpec = ModelSpec(),
    rank: int = 4,
    alpha: float = 4.0,
    seed: int = 1,
    scale: float = 2.0,
) -> Path:
    """Write a random LoRA adapter GGUF for the model of ``spec`` (its attention and FFN projections).

    The low-rank deltas are large enough (``scale``) to change a random
    model's greedy output, so a test can see the adapter act.

    Example::

        >>> import tempfile, os
        >>> p = write_lora(os.path.join(tempfile.mkdtemp(), "lora.gguf"), ModelSpec(n_layer=1))
        >>> p.stat().st_size > 0
        True
    """
    import gguf

    path = Path(path)
    rng = np.random.default_rng(seed)
    head_dim = spec.n_embd // spec.n_head
    shapes = {  # model tensor -> (n_out, n_in), as write_model writes them
        "attn_q": (spec.n_head * head_dim, spec.n_embd),
        "attn_v": (spec.n_head_kv * head_dim, spec.n_embd),
        "ffn_up": (spec.n_ff, spec.n_embd),
        "ffn_down": (spec.n_embd, spec.n_ff),
    }
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_string("general.type", "adapter")
    writer.add_string("adapter.type", "lora")
    writer.add_float32("adapter.lora.alpha", alpha)
    writer.add_name("llama-native random LoRA adapter")
    for i in range(spec.n_layer):
        for name, (n_out, n_in) in shapes.items():
            a = (rng.standard_normal((rank, n_in)) * (scale / np.sqrt(n_in))).astype(np.float32)
            b = (rng.standard_normal((n_out, rank)) * (scale / np.sqrt(rank))).astype(np.float32)
            writer.add_tensor(f"blk.{i}.{name}.weight.lora_a", a)  # ggml ne = [n_in, rank]
            writer.add_tensor(f"blk.{i}.{name}.weight.lora_b", b)  # ggml ne = [rank, n_out]
    _finish(writer)
    return path


def synthetic_lora_path(seed: int = 1, **overrides: Any) -> Path:
    """A cached random LoRA adapter for :func:`synthetic_model_path` (with the same ``overrides``)."""
    spec = ModelSpec(**overrides)
    name = f"lora-{spec.tokenizer}-{spec.n_embd}x{spec.n_layer}"
    return _cached_file(name, [_spec_key(spec), seed], lambda tmp: write_lora(tmp, spec, seed=seed))
