"""Writing a random-weight Llama-architecture GGUF (:func:`write_model`) with the ``gguf`` package.

:class:`ModelSpec` is the shape (and tokenizer) of the model; the weights are
drawn from a seeded generator, so one spec always gives the same file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .vocab import _read_tokenizer, _synthetic_vocab


@dataclass(frozen=True)
class ModelSpec:
    """Shape of a random-weight Llama model."""

    n_embd: int = 64
    n_layer: int = 2
    n_head: int = 4
    n_head_kv: int = 2
    n_ff: int = 128
    n_ctx_train: int = 4096
    seed: int = 0
    f16: bool = False
    tokenizer: str = "synthetic"  # or a key of REAL_TOKENIZERS / any models/ggml-vocab-<name>.gguf
    chat_template: str | None = None  # None: the tokenizer's default template
    weight_scale: float = 0.5
    extra: dict = field(default_factory=dict)
    arch: str = "llama"  # or "qwen2vl": Qwen2-VL's text model (M-RoPE positions; q/k/v biases)


def _add_value(writer: Any, key: str, value: Any) -> None:
    import gguf

    if isinstance(value, tuple):  # copied with its GGUF types
        contents, types = value
        if types[0] == gguf.GGUFValueType.ARRAY:
            writer.add_key_value(key, contents, gguf.GGUFValueType.ARRAY, sub_type=types[-1])
        else:
            writer.add_key_value(key, contents, types[0])
        return
    if isinstance(value, bool):
        writer.add_bool(key, value)
    elif isinstance(value, int):
        writer.add_uint32(key, value)
    elif isinstance(value, float):
        writer.add_float32(key, value)
    elif isinstance(value, str):
        writer.add_string(key, value)
    elif isinstance(value, list) and value and isinstance(value[0], str):
        writer.add_array(key, value)
    elif isinstance(value, list) and value and isinstance(value[0], float):
        writer.add_key_value(key, value, gguf.GGUFValueType.ARRAY, sub_type=gguf.GGUFValueType.FLOAT32)
    elif isinstance(value, list):
        writer.add_key_value(key, value, gguf.GGUFValueType.ARRAY, sub_type=gguf.GGUFValueType.INT32)
    else:
        raise TypeError(f"cannot write {key}={value!r}")


def add_llama_hyperparameters(
    writer: Any, spec: ModelSpec, n_vocab: int, rope_base: float = 10000.0, norm_eps: float = 1e-5
) -> None:
    """The ``llama.*`` shape keys (and file type) of a Llama-architecture GGUF described by ``spec``."""
    writer.add_context_length(spec.n_ctx_train)
    writer.add_embedding_length(spec.n_embd)
    writer.add_block_count(spec.n_layer)
    writer.add_feed_forward_length(spec.n_ff)
    writer.add_head_count(spec.n_head)
    writer.add_head_count_kv(spec.n_head_kv)
    writer.add_rope_dimension_count(spec.n_embd // spec.n_head)
    writer.add_rope_freq_base(rope_base)
    writer.add_layer_norm_rms_eps(norm_eps)
    writer.add_vocab_size(n_vocab)
    writer.add_file_type(1 if spec.f16 else 0)


def write_model(path: os.PathLike | str, spec: ModelSpec = ModelSpec()) -> Path:
    """Write a random-weight Llama GGUF described by ``spec`` to ``path``.

    Example::

        >>> import tempfile, os
        >>> p = write_model(os.path.join(tempfile.mkdtemp(), "m.gguf"), ModelSpec(n_layer=1))
        >>> p.stat().st_size > 0
        True
    """
    import gguf

    path = Path(path)
    vocab = _synthetic_vocab() if spec.tokenizer == "synthetic" else _read_tokenizer(spec.tokenizer)
    if spec.chat_template is not None:
        vocab["tokenizer.chat_template"] = spec.chat_template
    tokens_entry = vocab["tokenizer.ggml.tokens"]
    n_vocab = len(tokens_entry[0] if isinstance(tokens_entry, tuple) else tokens_entry)

    head_dim = spec.n_embd // spec.n_head
    rng = np.random.default_rng(spec.seed)
    dtype = np.float16 if spec.f16 else np.float32

    def weight(*shape: int, scale: float | None = None) -> np.ndarray:
        fan_in = shape[-1]
        s = (scale if scale is not None else spec.weight_scale) / np.sqrt(fan_in)
        return (rng.standard_normal(shape, dtype=np.float32) * s).astype(dtype)

    writer = gguf.GGUFWriter(str(path), spec.arch)
    writer.add_name(f"llama-native random test model ({spec.tokenizer})")
    add_llama_hyperparameters(writer, spec, n_vocab)
    if spec.arch == "qwen2vl":  # M-RoPE: the rotary half-dimensions split over time, height, width
        half = head_dim // 2
        t = half // 4  # (Qwen2-VL 7B: 16, 24, 24 of 64)
        h = (half - t) // 2
        writer.add_array("qwen2vl.rope.dimension_sections", [t, h, half - t - h, 0])
    for key, value in vocab.items():
        _add_value(writer, key, value)
    for key, value in spec.extra.items():
        _add_value(writer, key, value)

    ones = np.ones(spec.n_embd, dtype=np.float32)
    writer.add_tensor("token_embd.weight", weight(n_vocab, spec.n_embd, scale=1.0 * np.sqrt(spec.n_embd)))
    writer.add_tensor("output_norm.weight", ones)
    writer.add_tensor("output.weight", weight(n_vocab, spec.n_embd, scale=4.0))
    for i in range(spec.n_layer):
        writer.add_tensor(f"blk.{i}.attn_norm.weight", ones)
        writer.add_tensor(f"blk.{i}.attn_q.weight", weight(spec.n_head * head_dim, spec.n_embd))
        writer.add_tensor(f"blk.{i}.attn_k.weight", weight(spec.n_head_kv * head_dim, spec.n_embd))
        writer.add_tensor(f"blk.{i}.attn_v.weight", weight(spec.n_head_kv * head_dim, spec.n_embd))
        if spec.arch == "qwen2vl":
            for name, rows in (("attn_q", spec.n_head), ("attn_k", spec.n_head_kv), ("attn_v", spec.n_head_kv)):
                writer.add_tensor(f"blk.{i}.{name}.bias", np.zeros(rows * head_dim, dtype=np.float32))
        writer.add_tensor(f"blk.{i}.attn_output.weight", weight(spec.n_embd, spec.n_head * head_dim))
        writer.add_tensor(f"blk.{i}.ffn_norm.weight", ones)
        writer.add_tensor(f"blk.{i}.ffn_gate.weight", weight(spec.n_ff, spec.n_embd))
        writer.add_tensor(f"blk.{i}.ffn_up.weight", weight(spec.n_ff, spec.n_embd))
        writer.add_tensor(f"blk.{i}.ffn_down.weight", weight(spec.n_embd, spec.n_ff))

    _finish(writer)
    return path


def _finish(writer: Any) -> None:
    """Write a ``gguf.GGUFWriter``'s header, metadata and tensors, and close it."""
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
