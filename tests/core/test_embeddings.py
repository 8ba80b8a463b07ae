"""Embeddings: the model's pooling, normalization, batches equal single calls, OpenAI shape."""

from __future__ import annotations

import asyncio
import math
from pathlib import Path

import pytest

from llama_native import Llama


@pytest.fixture(scope="module")
def embedder(model_path: Path) -> Llama:
    return Llama(str(model_path), n_ctx=256, n_batch=64, embedding=True, pooling_type=3)  # LAST: one vector per text


def test_embed_shapes_and_normalization(embedder: Llama) -> None:
    one = embedder.embed("hello world")
    assert len(one) == embedder.n_embd() and all(math.isfinite(x) for x in one)
    unit = embedder.embed("hello world", normalize=True)
    assert math.isclose(math.sqrt(sum(x * x for x in unit)), 1.0, rel_tol=1e-5)
    norm = math.sqrt(sum(x * x for x in one))
    assert all(math.isclose(a / norm, b, rel_tol=1e-4, abs_tol=1e-6) for a, b in zip(one, unit))


def test_batch_equals_single_calls(embedder: Llama) -> None:
    texts = ["alpha", "a longer sentence about Paris", "alpha"]
    batch = embedder.embed(texts)
    singles = [embedder.embed(t) for t in texts]
    assert len(batch) == 3
    for b, s in zip(batch, singles):
        assert all(math.isclose(x, y, rel_tol=1e-4, abs_tol=1e-5) for x, y in zip(b, s))
    assert batch[0] != batch[1]


def test_many_inputs_pack_into_batches(embedder: Llama) -> None:
    texts = [f"document number {i} " * (1 + i % 4) for i in range(40)]  # more than one batch of sequences
    batch = embedder.embed(texts, normalize=True)
    for text, vector in zip(texts[::7], batch[::7]):
        single = embedder.embed(text, normalize=True)
        assert all(math.isclose(x, y, rel_tol=1e-3, abs_tol=1e-5) for x, y in zip(vector, single))


def test_create_embedding_is_openai_shaped_with_true_counts(embedder: Llama) -> None:
    out = embedder.create_embedding(["hi", "there friend"])
    assert out["object"] == "list" and [d["index"] for d in out["data"]] == [0, 1]
    assert all(d["object"] == "embedding" and len(d["embedding"]) == embedder.n_embd() for d in out["data"])
    n = sum(len(embedder.tokenize(t.encode(), add_bos=embedder._model.add_bos, special=True)) for t in ["hi", "there friend"])
    assert out["usage"] == {"prompt_tokens": n, "total_tokens": n}


def test_async_embed(embedder: Llama) -> None:
    assert asyncio.run(embedder.aembed(["x", "y"])) == embedder.embed(["x", "y"])


def test_embedding_errors_are_clear(embedder: Llama, model_path: Path) -> None:
    with pytest.raises(ValueError, match="embedding=True"):
        Llama(str(model_path), n_ctx=64).embed("x")
    with pytest.raises(ValueError, match="truncate=True"):
        embedder.embed("word " * 200, truncate=False)
    assert len(embedder.embed("word " * 200)) == embedder.n_embd()  # truncated to the batch
    with pytest.raises(TypeError):
        embedder.embed([1, 2])  # type: ignore[list-item]
