"""Embeddings with the model's own pooling: what ``Llama.embed`` and ``Llama.create_embedding`` do.

Plain functions over a model and its context (``Llama`` delegates to them),
so this module needs nothing of ``Llama`` itself.

Example::

    >>> from llama_native import Llama
    >>> from llama_native.testing import synthetic_model_path
    >>> from llama_native.constants import LLAMA_POOLING_TYPE_MEAN
    >>> llm = Llama(str(synthetic_model_path()), n_ctx=128, embedding=True, pooling_type=LLAMA_POOLING_TYPE_MEAN)
    >>> vectors = llm.embed(["hello", "world"], normalize=True)
    >>> len(vectors), len(vectors[0]) == llm.n_embd(), round(sum(x * x for x in vectors[0]), 3)
    (2, True, 1.0)
    >>> taxicab = llm.embed("hello", normalize=1)  # llama-server's embd_normalize
    >>> round(sum(abs(x) for x in taxicab), 3)
    1.0

A model without pooling (this synthetic one, as chat models) gives one vector
per token, as llama-cpp-python does, unless ``per_token=False``::

    >>> import warnings
    >>> raw = Llama(str(synthetic_model_path()), n_ctx=128, embedding=True)
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")  # PoolingWarning: the model names no pooling
    ...     rows, last = raw.embed("hello world"), raw.embed("hello world", per_token=False)
    >>> len(rows) == len(raw.tokenize(b"hello world")), len(last) == raw.n_embd()
    (True, True)
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

from .. import _native

LLAMA_POOLING_TYPE_UNSPECIFIED, LLAMA_POOLING_TYPE_NONE, LLAMA_POOLING_TYPE_RANK = -1, 0, 4
POOLING_NAMES = {-1: "UNSPECIFIED", 0: "NONE", 1: "MEAN", 2: "CLS", 3: "LAST", 4: "RANK"}


class PoolingWarning(UserWarning):
    """Pooled embeddings asked of a model whose GGUF names no pooling (``pooling_type`` NONE)."""


def normalize_mode(normalize: bool | int) -> int:
    """llama-server's ``embd_normalize`` for ``normalize``: ``True`` is 2 (euclidean), ``False`` is -1 (none).

    An int is taken as llama-server takes it: -1 none, 0 max-abs scaled to
    int16, 1 taxicab, 2 euclidean, above 2 a p-norm.
    """
    if isinstance(normalize, bool):
        return 2 if normalize else -1
    if not isinstance(normalize, int) or normalize < -1:
        raise ValueError(
            "normalize must be True/False or llama-server's embd_normalize: -1 (none), 0 (max absolute, int16), "
            f"1 (taxicab), 2 (euclidean) or p > 2 (p-norm); got {normalize!r}"
        )
    return normalize


def normalize_vector(vector: list[float], mode: int) -> list[float]:
    """``vector`` normalized as llama.cpp's ``common_embd_normalize`` (``mode`` as :func:`normalize_mode`)."""
    if mode == -1:
        return list(vector)
    if mode == 0:
        total = max((abs(x) for x in vector), default=0.0) / 32760.0
    elif mode == 2:
        total = math.sqrt(sum(x * x for x in vector))
    else:
        total = sum(abs(x) ** mode for x in vector) ** (1.0 / mode)
    scale = 1.0 / total if total > 0 else 0.0
    return [x * scale for x in vector]


def per_token_default(ctx: _native.Context, per_token: bool | None) -> bool:
    """Whether :func:`embed` gives one vector per token: ``None`` is llama-cpp-python's choice, by the pooling.

    A context without pooling (pooling_type NONE) gets one vector per token,
    as llama-cpp-python's ``embed`` gives there; a pooled context one per
    input.  ``per_token=True`` on a pooled context is a ``ValueError``.
    """
    pooling = ctx.pooling_type
    if per_token is None:
        return pooling == LLAMA_POOLING_TYPE_NONE
    if per_token and pooling != LLAMA_POOLING_TYPE_NONE:
        raise ValueError(
            f"per_token=True needs a context without pooling (pooling_type NONE); this one pools "
            f"({POOLING_NAMES.get(pooling, pooling)}): load it with pooling_type=LLAMA_POOLING_TYPE_NONE"
        )
    return bool(per_token)


def check_pooling(ctx: _native.Context, chosen: int, model_path: str, per_token: bool = False) -> None:
    """Refuse embeddings of a reranker; warn (:class:`PoolingWarning`) for a model without pooling.

    ``chosen`` is the ``pooling_type`` the user passed (-1: none chosen, the
    model's own); a model without pooling that the user did not choose gets
    the warning, which says what ``per_token`` (:func:`per_token_default`) gives.
    """
    pooling = ctx.pooling_type
    if pooling == LLAMA_POOLING_TYPE_RANK:
        raise ValueError(
            f"{model_path} is loaded as a reranker (pooling_type RANK), which scores query-document pairs "
            "instead of embedding texts: use Llama.rerank(query, documents), or load it with another pooling_type"
        )
    if pooling == LLAMA_POOLING_TYPE_NONE and chosen == LLAMA_POOLING_TYPE_UNSPECIFIED:
        what = (
            "so each input gets one vector per token (its hidden states), as llama-cpp-python gives, not one "
            "vector per text"
            if per_token
            else "so each embedding is its last token's hidden state, which was not trained to compare texts: "
            "similarities come out close for unrelated texts"
        )
        warnings.warn(
            f"{model_path} has no pooling (pooling_type NONE: its GGUF names none, as chat models' GGUFs do), "
            f"{what}. llama-server refuses /v1/embeddings for such a "
            "model ('Pooling type none is not OAI compatible') unless started with --pooling mean|cls|last. "
            "Use an embedding model, or choose a pooling: Llama(..., embedding=True, "
            "pooling_type=LLAMA_POOLING_TYPE_MEAN) (passing pooling_type=LLAMA_POOLING_TYPE_NONE keeps the "
            "per-token vectors, or with embed(..., per_token=False) the last-token vectors, without this warning).",
            PoolingWarning,
            stacklevel=4,
        )


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
    normalize: bool | int,
    truncate: bool,
    per_token: bool = False,
) -> tuple[Any, int]:
    """``(vector or list of vectors, tokens embedded)``: one vector for a string, one per item for a list.

    ``normalize`` as :func:`normalize_mode`.  Many inputs go to llama.cpp
    together, one sequence each, as many per ``llama_decode`` as
    ``n_batch`` and the context's ``n_seq_max`` allow.  ``per_token`` (a
    context without pooling): each "vector" is instead a list of vectors,
    one per token of its input, each normalized on its own.
    """
    mode = normalize_mode(normalize)
    single = isinstance(input, str)
    texts: list[str | Sequence[int]] = [input] if isinstance(input, str) else list(input)
    if not texts:
        return [], 0
    inputs = embedding_inputs(model, min(n_batch, ctx.n_ctx), texts, truncate)
    vectors: list[Any]
    if per_token:
        rows: list[list[float]] = ctx.embed(inputs, mode, True)
        vectors, at = [], 0
        for tokens in inputs:
            vectors.append(rows[at : at + len(tokens)])
            at += len(tokens)
    else:
        vectors = ctx.embed(inputs, mode)
    count = sum(len(t) for t in inputs)
    return (vectors[0] if single else vectors), count


def token_embeddings(
    model: _native.Model, ctx: _native.Context, n_batch: int, texts: Sequence[str | Sequence[int]]
) -> list[list[list[float]]]:
    """Every token's vector of each input, unnormalized, on a model without pooling (llama-server's ``/embedding``).

    On a pooled model each input gets one vector (its pooled one, unnormalized).
    An input longer than a batch is a ``ValueError``, as in :func:`embed`.
    """
    if not texts:
        return []
    inputs = embedding_inputs(model, min(n_batch, ctx.n_ctx), texts, truncate=False)
    if ctx.pooling_type != LLAMA_POOLING_TYPE_NONE:
        return [[vector] for vector in ctx.embed(inputs, -1)]
    rows = ctx.embed(inputs, -1, per_token=True)  # every input's rows, one input after another
    out, start = [], 0
    for tokens in inputs:
        out.append(rows[start : start + len(tokens)])
        start += len(tokens)
    return out


def embedding_response(vectors: list[Any], count: int, model: str) -> dict[str, Any]:
    """OpenAI's shape: ``{"object": "list", "data": [{"embedding", "index"}], "model", "usage"}``."""
    return {
        "object": "list",
        "data": [{"object": "embedding", "embedding": v, "index": i} for i, v in enumerate(vectors)],
        "model": model,
        "usage": {"prompt_tokens": count, "total_tokens": count},
    }
