"""Embeddings with the model's own pooling: what ``Llama.embed`` and ``Llama.create_embedding`` do.

Plain functions over a model and its context (``Llama`` delegates to them),
so this module needs nothing of ``Llama`` itself.

Example::

    >>> from llama_native import Llama
    >>> from llama_native.testing import synthetic_model_path
    >>> llm = Llama(str(synthetic_model_path()), n_ctx=128, embedding=True)
    >>> vectors = llm.embed(["hello", "world"], normalize=True)
    >>> len(vectors), len(vectors[0]) == llm.n_embd(), round(sum(x * x for x in vectors[0]), 3)
    (2, True, 1.0)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .. import _native


def embedding_inputs(
    model: _native.Model, limit: int, texts: Sequence[str | Sequence[int]], truncate: bool
) -> list[list[int]]:
    """Each text's tokens (BOS as the model wants), cut to ``limit`` when ``truncate``, else ``ValueError``.

    An input may also be a list of token ids, embedded as given (no BOS added, as llama-server).
    """
    inputs = []
    for text in texts:
        if isinstance(text, (list, tuple)) and all(isinstance(t, int) and not isinstance(t, bool) for t in text):
            tokens = list(text)
        elif isinstance(text, str):
            tokens = model.tokenize(text.encode("utf-8"), model.add_bos, True)
        else:
            raise TypeError(f"embedding input must be a string or a list of token ids, not {type(text).__name__}")
        if not tokens:
            raise ValueError("cannot embed an empty input (the model adds no BOS token)")
        if len(tokens) > limit:
            if not truncate:
                raise ValueError(
                    f"input is {len(tokens)} tokens long, more than the {limit} an embedding batch holds "
                    "(n_batch/n_ctx); pass truncate=True or raise n_batch and n_ctx"
                )
            tokens = tokens[:limit]
        inputs.append(tokens)
    return inputs


def embed(
    model: _native.Model,
    ctx: _native.Context,
    n_batch: int,
    input: str | Sequence[str | Sequence[int]],
    normalize: bool,
    truncate: bool,
) -> tuple[Any, int]:
    """``(vector or list of vectors, tokens embedded)``: one vector for a string, one per item for a list."""
    single = isinstance(input, str)
    texts: list[str | Sequence[int]] = [input] if isinstance(input, str) else list(input)
    if not texts:
        return [], 0
    inputs = embedding_inputs(model, min(n_batch, ctx.n_ctx), texts, truncate)
    vectors: list[list[float]] = ctx.embed(inputs, normalize)
    count = sum(len(t) for t in inputs)
    return (vectors[0] if single else vectors), count


def embedding_response(vectors: list[list[float]], count: int, model: str) -> dict[str, Any]:
    """OpenAI's shape: ``{"object": "list", "data": [{"embedding", "index"}], "model", "usage"}``."""
    return {
        "object": "list",
        "data": [{"object": "embedding", "embedding": v, "index": i} for i, v in enumerate(vectors)],
        "model": model,
        "usage": {"prompt_tokens": count, "total_tokens": count},
    }
