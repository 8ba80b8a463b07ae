"""Random-weight BERT GGUFs: an embedding model (mean or CLS pooling) and a reranker (rank pooling).

llama.cpp's ``bert`` architecture (``src/models/bert.cpp``) with the real
WordPiece tokenizer of llama.cpp's ``models/ggml-vocab-bert-bge.gguf``, so any
English text tokenizes as bge models tokenize it.  The reranker adds the
classification head that ``LLAMA_POOLING_TYPE_RANK`` reads (``cls`` then
``cls.output``, one score per sequence), as in bge-reranker and
jina-reranker GGUFs.  The weights are random: the vectors and scores are
deterministic but mean nothing.

Example::

    >>> from llama_native import Llama
    >>> from llama_native.testing import embedding_model_path, reranker_model_path
    >>> emb = Llama(str(embedding_model_path()), embedding=True, n_ctx=512, verbose=False)
    >>> len(emb.embed("hello world")) == emb.n_embd()
    True
    >>> rr = Llama(str(reranker_model_path()), embedding=True, n_ctx=512, verbose=False)
    >>> [r["index"] for r in rr.rerank("hello", ["a", "b"])] in ([0, 1], [1, 0])
    True
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from .models import _cached_file
from .vocab import _read_tokenizer
from .writer import _add_value, _finish

#: llama.cpp's ``LLAMA_POOLING_TYPE_*`` values by the names :class:`BertSpec` takes
POOLING_TYPES = {"mean": 1, "cls": 2, "rank": 4}

Pooling = Literal["mean", "cls", "rank"]


@dataclass(frozen=True)
class BertSpec:
    """Shape of a random-weight BERT model; ``pooling="rank"`` adds a classification head (a reranker)."""

    pooling: Pooling = "mean"
    n_embd: int = 64
    n_layer: int = 2
    n_head: int = 4
    n_ff: int = 128
    n_ctx_train: int = 512
    seed: int = 0
    weight_scale: float = 1.0


def write_bert_model(path: os.PathLike[str] | str, spec: BertSpec = BertSpec()) -> Path:
    """Write the random-weight BERT GGUF described by ``spec`` to ``path``.

    Example::

        >>> import tempfile, os
        >>> p = write_bert_model(os.path.join(tempfile.mkdtemp(), "bert.gguf"), BertSpec(n_layer=1))
        >>> p.stat().st_size > 0
        True
    """
    import gguf

    if spec.pooling not in POOLING_TYPES:
        raise ValueError(f"pooling must be one of {', '.join(POOLING_TYPES)}, got {spec.pooling!r}")
    path = Path(path)
    vocab = _read_tokenizer("bert-bge")
    vocab["tokenizer.ggml.token_type_count"] = 2  # BERT's sentence A and B
    tokens_entry = vocab["tokenizer.ggml.tokens"]
    n_vocab = len(tokens_entry[0] if isinstance(tokens_entry, tuple) else tokens_entry)
    rng = np.random.default_rng(spec.seed)
    n = spec.n_embd

    def weight(*shape: int, scale: float | None = None) -> np.ndarray[Any, Any]:
        s = (scale if scale is not None else spec.weight_scale) / np.sqrt(shape[-1])
        return rng.standard_normal(shape, dtype=np.float32) * np.float32(s)

    def bias(size: int) -> np.ndarray[Any, Any]:
        return rng.standard_normal(size, dtype=np.float32) * np.float32(0.02)

    ones = np.ones(n, dtype=np.float32)
    zeros = np.zeros(n, dtype=np.float32)
    writer = gguf.GGUFWriter(str(path), "bert")
    role = "reranker" if spec.pooling == "rank" else f"embedding model ({spec.pooling} pooling)"
    writer.add_name(f"llama-native random BERT {role}")
    writer.add_context_length(spec.n_ctx_train)
    writer.add_embedding_length(n)
    writer.add_block_count(spec.n_layer)
    writer.add_feed_forward_length(spec.n_ff)
    writer.add_head_count(spec.n_head)
    writer.add_layer_norm_eps(1e-12)
    writer.add_causal_attention(False)
    writer.add_pooling_type(gguf.PoolingType(POOLING_TYPES[spec.pooling]))
    writer.add_file_type(0)
    for key, value in vocab.items():
        _add_value(writer, key, value)

    writer.add_tensor("token_embd.weight", weight(n_vocab, n, scale=1.0 * np.sqrt(n)))
    writer.add_tensor("token_types.weight", weight(2, n, scale=0.1 * np.sqrt(n)))
    writer.add_tensor("position_embd.weight", weight(spec.n_ctx_train, n, scale=0.1 * np.sqrt(n)))
    writer.add_tensor("token_embd_norm.weight", ones)
    writer.add_tensor("token_embd_norm.bias", zeros)
    for i in range(spec.n_layer):
        for name in ("attn_q", "attn_k", "attn_v", "attn_output"):
            writer.add_tensor(f"blk.{i}.{name}.weight", weight(n, n))
            writer.add_tensor(f"blk.{i}.{name}.bias", bias(n))
        writer.add_tensor(f"blk.{i}.attn_output_norm.weight", ones)
        writer.add_tensor(f"blk.{i}.attn_output_norm.bias", zeros)
        writer.add_tensor(f"blk.{i}.ffn_up.weight", weight(spec.n_ff, n))
        writer.add_tensor(f"blk.{i}.ffn_up.bias", bias(spec.n_ff))
        writer.add_tensor(f"blk.{i}.ffn_down.weight", weight(n, spec.n_ff))
        writer.add_tensor(f"blk.{i}.ffn_down.bias", bias(n))
        writer.add_tensor(f"blk.{i}.layer_output_norm.weight", ones)
        writer.add_tensor(f"blk.{i}.layer_output_norm.bias", zeros)
    if spec.pooling == "rank":  # the classification head: tanh(cls . x + b), then one score
        writer.add_tensor("cls.weight", weight(n, n))
        writer.add_tensor("cls.bias", bias(n))
        writer.add_tensor("cls.output.weight", weight(1, n, scale=4.0))
        writer.add_tensor("cls.output.bias", np.zeros(1, dtype=np.float32))
    _finish(writer)
    return path


def bert_model_path(spec: BertSpec = BertSpec()) -> Path:
    """The model for ``spec``, written once into the llama-native cache."""
    return _cached_file(f"bert-{spec.pooling}-{spec.n_embd}x{spec.n_layer}", {"bert": asdict(spec)},
                        lambda tmp: write_bert_model(tmp, spec))


def embedding_model_path(pooling: Literal["mean", "cls"] = "mean", **overrides: Any) -> Path:
    """A random-weight BERT embedding model with ``pooling`` (``"mean"`` or ``"cls"``) in its GGUF."""
    if pooling not in ("mean", "cls"):
        raise ValueError(f"an embedding model pools by 'mean' or 'cls', got {pooling!r}")
    return bert_model_path(BertSpec(pooling=pooling, **overrides))


def reranker_model_path(**overrides: Any) -> Path:
    """A random-weight BERT reranker (``LLAMA_POOLING_TYPE_RANK``, a one-score classification head)."""
    return bert_model_path(BertSpec(pooling="rank", **overrides))
