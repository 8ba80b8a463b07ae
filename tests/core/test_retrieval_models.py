"""Embeddings that know their model, and reranking: the random BERT models, pooling, normalize, Llama.rerank."""

from __future__ import annotations

import math
import warnings
from typing import Any, cast

import pytest

from llama_native import Llama
from llama_native.constants import (
    LLAMA_POOLING_TYPE_CLS,
    LLAMA_POOLING_TYPE_MEAN,
    LLAMA_POOLING_TYPE_NONE,
    LLAMA_POOLING_TYPE_RANK,
)
from llama_native.runtime.embedding import PoolingWarning
from llama_native.testing import embedding_model_path, reranker_model_path, synthetic_model_path

DOCS = ["Pandas are bears that live in China.", "Paris is the capital of France.", "hi", "A panda eats bamboo."]


@pytest.fixture(scope="module")
def mean_model() -> Llama:
    return Llama(str(embedding_model_path("mean")), embedding=True, n_ctx=512, n_threads=2)


@pytest.fixture(scope="module")
def reranker() -> Llama:
    return Llama(str(reranker_model_path()), embedding=True, n_ctx=512, n_threads=2)


def test_bert_models_carry_their_pooling(mean_model: Llama, reranker: Llama) -> None:
    cls_model = Llama(str(embedding_model_path("cls")), embedding=True, n_ctx=512)
    assert mean_model.pooling_type() == LLAMA_POOLING_TYPE_MEAN
    assert cls_model.pooling_type() == LLAMA_POOLING_TYPE_CLS
    assert reranker.pooling_type() == LLAMA_POOLING_TYPE_RANK
    assert mean_model.metadata["general.architecture"] == "bert"
    mean, cls = mean_model.embed("the same words"), cls_model.embed("the same words")
    assert len(mean) == len(cls) == mean_model.n_embd()
    assert mean != cls  # the two poolings of the same weights differ
    a, b = mean_model.embed(["pandas eat bamboo", "the stock market fell"])
    assert a != b and all(math.isfinite(x) for x in a)


def test_normalize_follows_llama_servers_embd_normalize(mean_model: Llama) -> None:
    raw = mean_model.embed("normalize me", normalize=-1)
    assert raw == mean_model.embed("normalize me")  # False: none
    for mode, norm in [(0, lambda v: max(abs(x) for x in v) / 32760.0), (1, lambda v: sum(abs(x) for x in v)),
                       (2, lambda v: math.sqrt(sum(x * x for x in v))),
                       (3, lambda v: sum(abs(x) ** 3 for x in v) ** (1 / 3))]:
        out = mean_model.embed("normalize me", normalize=mode)
        scale = norm(raw)
        assert all(math.isclose(x, r / scale, rel_tol=1e-4, abs_tol=1e-6) for x, r in zip(out, raw)), mode
    assert mean_model.embed("normalize me", normalize=True) == mean_model.embed("normalize me", normalize=2)
    with pytest.raises(ValueError, match="embd_normalize"):
        mean_model.embed("x", normalize=-2)


def test_model_without_pooling_warns_unless_a_pooling_was_chosen() -> None:
    path = str(synthetic_model_path())
    chat_model = Llama(path, embedding=True, n_ctx=128)
    assert chat_model.pooling_type() == LLAMA_POOLING_TYPE_NONE
    with pytest.warns(PoolingWarning, match=r"pooling_type NONE.*llama-server.*--pooling mean"):
        chat_model.embed("hello")
    for chosen in (LLAMA_POOLING_TYPE_MEAN, LLAMA_POOLING_TYPE_NONE):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            Llama(path, embedding=True, n_ctx=128, pooling_type=chosen).embed("hello")


def test_an_embedding_model_does_not_warn(mean_model: Llama) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mean_model.embed(["one", "two"])


def test_many_inputs_in_one_decode_equal_single_calls(mean_model: Llama) -> None:
    texts = [f"text number {i} about {'pandas' if i % 2 else 'Paris'}" for i in range(40)]
    batch = mean_model.embed(texts, normalize=True)
    for text, vector in zip(texts[::9], batch[::9]):
        single = mean_model.embed(text, normalize=True)
        assert max(abs(x - y) for x, y in zip(vector, single)) < 5e-4  # (float sums in another order)


def test_rerank_results_are_sorted_and_shaped_like_llama_server(reranker: Llama) -> None:
    results = reranker.rerank("what do pandas eat?", DOCS)
    assert sorted(r["index"] for r in results) == [0, 1, 2, 3]
    scores = [r["relevance_score"] for r in results]
    assert scores == sorted(scores, reverse=True) and len(set(scores)) == 4
    assert all(r["document"] == {"text": DOCS[r["index"]]} for r in results)
    top = reranker.rerank("what do pandas eat?", DOCS, top_n=2, return_documents=False)
    assert top == [{"index": r["index"], "relevance_score": r["relevance_score"]} for r in results[:2]]
    full = reranker.create_rerank("what do pandas eat?", DOCS, top_n=3, model="rr")
    assert full["model"] == "rr" and full["object"] == "list" and len(full["results"]) == 3
    assert full["usage"]["prompt_tokens"] == full["usage"]["total_tokens"] > 4 * 3


def test_rerank_scores_one_pair_at_a_time_equal_the_batch(reranker: Llama) -> None:
    batch = {r["index"]: r["relevance_score"] for r in reranker.rerank("pandas", DOCS)}
    for i, doc in enumerate(DOCS):
        alone = reranker.rerank("pandas", [doc])[0]["relevance_score"]
        assert abs(alone - batch[i]) < 1e-5


def test_rerank_pair_tokens_follow_format_prompt_rerank(reranker: Llama) -> None:
    from llama_native.runtime.rerank import pair_tokens

    model = reranker._model
    tokens = pair_tokens(model, "", "query words", "document words")
    q = model.tokenize(b"query words", False, False)
    d = model.tokenize(b"document words", False, False)
    # BERT: [CLS] query [SEP] document (no EOS token; add_sep)
    assert tokens == [model.token_bos, *q, model.token_sep, *d]


def test_rerank_and_embed_refuse_the_wrong_model(mean_model: Llama, reranker: Llama) -> None:
    with pytest.raises(ValueError, match="pooling_type MEAN, not RANK"):
        mean_model.rerank("q", ["d"])
    with pytest.raises(ValueError, match=r"reranker.*rerank\("):
        reranker.embed("x")
    with pytest.raises(ValueError, match="embedding=True"):
        Llama(str(reranker_model_path()), n_ctx=128).rerank("q", ["d"])
    with pytest.raises(ValueError, match="non-empty"):
        reranker.rerank("q", [])
    with pytest.raises(ValueError, match="top_n"):
        reranker.rerank("q", ["d"], top_n=0)
    with pytest.raises(TypeError, match="list of strings"):
        reranker.rerank("q", "d")
    with pytest.raises(TypeError, match=r"documents\[1\]"):
        reranker.rerank("q", cast(Any, ["d", 3]))
    with pytest.raises(ValueError, match="tokens together"):
        reranker.rerank("q", ["word " * 600])


def test_an_embedding_batch_fits_one_ubatch_on_a_non_causal_model() -> None:
    """n_batch above n_ubatch on BERT: batches are cut to n_ubatch (as llama-server), never past llama.cpp's assert."""
    llm = Llama(str(embedding_model_path()), embedding=True, n_ctx=1024, n_batch=1024, n_ubatch=64, verbose=False)
    assert llm.context_params["n_batch"] == 64
    texts = [f"text number {i} about a topic worth embedding" for i in range(12)]  # > 64 tokens together
    vectors = llm.embed(texts)
    assert len(vectors) == 12
    for vector, text in zip(vectors, texts):  # batch companions change only F16 rounding (README, "Retrieval")
        assert vector == pytest.approx(llm.embed(text), abs=2e-3)
    with pytest.raises(ValueError, match="64"):
        llm.embed(" ".join(["word"] * 200), truncate=False)
