"""``POST /v1/embeddings``: OpenAI's shapes and llama-server's, vectors normalised as llama-server's.

Inputs: a string, a list of token ids, a list of strings or of token-id lists,
and llama-server's ``{"content": ...}`` (the body's ``content`` instead of
``input``, or items ``{"content": "text"}`` / ``{"prompt_string": "text"}``).
Vectors are normalised by ``embd_normalize`` (default 2: unit Euclidean length,
as llama-server's OpenAI-compatible route).  An empty ``input`` is a 400; an
input longer than the context is a 400 naming both sizes (never cut), unless
the body says ``truncate: true``.

Example::

    >>> from llama_native.server.embeddings import normalise
    >>> [[round(x, 4) for x in v] for v in normalise([[3.0, 4.0], [0.0, 0.0]], 2)]
    [[0.6, 0.8], [0.0, 0.0]]
    >>> normalise([[3.0, -5.0]], 1), normalise([[1.0, 2.0]], -1)
    ([[0.375, -0.625]], [[1.0, 2.0]])
"""

from __future__ import annotations

import base64
from typing import Any

import numpy as np

from ..llama import Llama
from ..runtime.embedding import normalize_vector
from .errors import ApiError
from .requests import EmbeddingRequest


def normalise(vectors: list[list[float]], norm: int) -> list[list[float]]:
    """llama.cpp's ``common_embd_normalize`` on each vector (-1 none, 0 max-abs int16, 1 taxicab, 2 Euclidean)."""
    return [normalize_vector(vector, norm) for vector in vectors]


def _items(body: EmbeddingRequest) -> list[str | list[int]]:
    """The inputs, each text or token ids (400 naming the one of another shape)."""
    given = body.input if body.input is not None else body.content
    raw: list[Any] = [given] if not isinstance(given, list) else list(given)
    if raw and all(isinstance(t, int) for t in raw):
        raw = [raw]  # one input as its token ids
    if not raw:
        raise ApiError(400, "input must not be empty", "invalid_request_error", "input")
    items: list[str | list[int]] = []
    for i, item in enumerate(raw):
        if isinstance(item, dict):
            item = _object_text(item, i)
        if isinstance(item, list) and not item:
            raise ApiError(400, f"input[{i}] is empty", "invalid_request_error", "input")
        items.append(item)
    return items


def _object_text(item: dict[str, Any], i: int) -> str:
    """The text of ``{"content": text or [{"type": "text", "text": ...}]}`` (or ``{"prompt_string": text}``)."""
    content = item.get("content", item.get("prompt_string"))
    if isinstance(content, list) and all(isinstance(p, dict) and p.get("type") == "text" for p in content):
        content = "".join(str(p.get("text", "")) for p in content)
    if len(item) != 1 or not isinstance(content, str):
        raise ApiError(
            400, f"input[{i}]: an object input is {{\"content\": text or text parts}} (only text can be embedded)",
            "invalid_request_error", "input",
        )  # fmt: skip
    return content


def create(llm: Llama, body: EmbeddingRequest, alias: str) -> dict[str, Any]:
    """The response for ``body`` (runs the model: call it off the event loop)."""
    items = _items(body)
    if body.dimensions is not None and body.dimensions != llm.n_embd():
        raise ApiError(
            400, f"dimensions: this model's embeddings have {llm.n_embd()} (it cannot shorten them)",
            "invalid_request_error", "dimensions",
        )  # fmt: skip
    limit = min(llm.context_params["n_batch"], llm.n_ctx())
    n_vocab = llm.n_vocab()
    for i, item in enumerate(items):
        if isinstance(item, list):
            bad = next((t for t in item if not 0 <= t < n_vocab), None)
            if bad is not None:
                raise ApiError(400, f"input[{i}]: token id {bad} is outside the vocabulary (0..{n_vocab - 1})",
                               "invalid_request_error", "input")  # fmt: skip
        n = len(item) if isinstance(item, list) else len(llm.tokenize(item.encode(), add_bos=True, special=True))
        if n > limit and not body.truncate:
            raise ApiError(
                400, f"input[{i}] is {n} tokens long, more than the {limit} tokens this model embeds at once "
                f"(its context); shorten it or send truncate: true to cut it", "invalid_request_error", "input",
                code="context_length_exceeded",
            )  # fmt: skip
    out = llm.create_embedding(items, alias, truncate=body.truncate, per_token=False)  # one vector per input
    vectors = normalise([d["embedding"] for d in out["data"]], body.embd_normalize)
    for item, vector in zip(out["data"], vectors):
        item["embedding"] = vector
        if body.encoding_format == "base64":
            item["embedding"] = base64.b64encode(np.asarray(vector, dtype=np.float32).tobytes()).decode()
    return out
