"""Embeddings and reranking equal llama.cpp's own llama-server's on the same models, locally, served and remote.

llama-server (the pinned build) serves the random BERT reranker with
``--reranking`` and the BERT embedding model with ``--embeddings``; our
``Llama``, ``llama-native serve`` and ``RemoteLlama`` over both must give the
same scores and vectors within 1e-4.

Both sides run without flash attention: ggml's CPU flash-attention kernel
rounds through F16 once a batch holds more than 64 tokens, so scores then
depend on how many pairs share a ``llama_decode`` (llama-server batches its
4 slots; we batch up to ``n_seq_max``), by about 2e-3 on this random model.
One test keeps the defaults (flash attention auto) with batches under that size.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from llama_native import Llama
from llama_native.llama_cpp_tools import LlamaServer
from llama_native.remote import RemoteLlama
from llama_native.testing import embedding_model_path, reranker_model_path
from served import Served, start_server, stop_server

QUERY = "what do pandas eat?"
DOCS = ["Pandas are bears that live in China.", "Paris is the capital of France.", "hi",
        "A panda eats bamboo for most of the day.", "The stock market fell sharply on Monday."]


@pytest.fixture(scope="module")
def reranker() -> Llama:
    return Llama(str(reranker_model_path()), embedding=True, n_ctx=512, n_threads=2, flash_attn=False)


@pytest.fixture(scope="module")
def their_reranker() -> Iterator[LlamaServer]:
    with LlamaServer(reranker_model_path(), threads=2, n_ctx=2048, args=["--reranking", "-fa", "off"]) as server:
        yield server


@pytest.fixture(scope="module")
def our_reranker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp("rerank")
    config = {"models": [{"model": str(reranker_model_path()), "model_alias": "rr", "n_ctx": 512, "flash_attn": False}]}
    (tmp / "models.json").write_text(json.dumps(config))
    served = start_server(tmp, "--config", str(tmp / "models.json"))
    yield served
    stop_server(served)


def _scores(results: list[dict]) -> dict[int, float]:
    return {r["index"]: r["relevance_score"] for r in results}


def test_rerank_scores_equal_llama_servers(reranker: Llama, their_reranker: LlamaServer) -> None:
    theirs = their_reranker.post("/v1/rerank", {"query": QUERY, "documents": DOCS})
    ours = reranker.create_rerank(QUERY, DOCS)
    assert [r["index"] for r in ours["results"]] == [r["index"] for r in theirs["results"]]
    mine, their = _scores(ours["results"]), _scores(theirs["results"])
    assert max(abs(mine[i] - their[i]) for i in range(len(DOCS))) <= 1e-4
    assert ours["usage"] == theirs["usage"]  # the same pair tokens
    top = their_reranker.post("/v1/rerank", {"query": QUERY, "documents": DOCS, "top_n": 2})
    assert [r["index"] for r in reranker.rerank(QUERY, DOCS, top_n=2)] == [r["index"] for r in top["results"]]


def test_default_settings_agree_on_small_batches() -> None:
    ours = Llama(str(reranker_model_path()), embedding=True, n_ctx=512, n_threads=2, flash_attn=None).create_rerank(QUERY, DOCS[:3])
    with LlamaServer(reranker_model_path(), threads=2, n_ctx=2048, args=["--reranking"]) as server:
        theirs = server.post("/v1/rerank", {"query": QUERY, "documents": DOCS[:3]})
    mine, their = _scores(ours["results"]), _scores(theirs["results"])
    assert max(abs(mine[i] - their[i]) for i in range(3)) <= 1e-4


def test_embeddings_equal_llama_servers() -> None:
    path = embedding_model_path("mean")
    texts = [f"sentence {i}: {w}" for i, w in enumerate(["pandas eat bamboo", "Paris", "a stock market", "hi"] * 5)]
    ours = Llama(str(path), embedding=True, n_ctx=512, n_threads=2, flash_attn=False).embed(texts, normalize=True)
    with LlamaServer(path, threads=2, n_ctx=2048, args=["--embeddings", "-fa", "off"]) as server:
        theirs = server.post("/v1/embeddings", {"input": texts})
    vectors = [d["embedding"] for d in sorted(theirs["data"], key=lambda d: d["index"])]
    assert max(abs(a - b) for u, v in zip(ours, vectors) for a, b in zip(u, v)) <= 1e-4


def test_our_server_reranks_in_llama_servers_jinas_and_coheres_shapes(reranker: Llama, our_reranker: Served) -> None:
    local = _scores(reranker.rerank(QUERY, DOCS))
    for path in ("/v1/rerank", "/rerank"):
        body = httpx.post(our_reranker.url + path, json={
            "query": QUERY, "documents": [DOCS[0], *({"text": d} for d in DOCS[1:])], "top_n": 3,
            "return_documents": True, "model": "rr"}, timeout=60).json()
        assert body["model"] == "rr" and body["object"] == "list" and body["usage"]["prompt_tokens"] > 0
        assert len(body["results"]) == 3
        for r in body["results"]:
            assert abs(r["relevance_score"] - local[r["index"]]) <= 1e-4
            assert r["document"] == {"text": DOCS[r["index"]]}
    bad = httpx.post(our_reranker.v1 + "/rerank", json={"query": QUERY, "documents": []}, timeout=60)
    assert bad.status_code == 400 and "documents" in bad.text
    bad = httpx.post(our_reranker.v1 + "/rerank", json={"query": QUERY, "documents": DOCS, "top_n": 0}, timeout=60)
    assert bad.status_code in (400, 422) and "top_n" in bad.text


def test_our_server_refuses_rerank_on_an_embedding_model(tmp_path: Path) -> None:
    served = start_server(tmp_path, "--model", str(embedding_model_path()), "--n-ctx", "512")
    try:
        bad = httpx.post(served.v1 + "/rerank", json={"query": QUERY, "documents": DOCS}, timeout=60)
        assert bad.status_code == 400 and "pooling_type MEAN, not RANK" in bad.text
    finally:
        stop_server(served)


@pytest.mark.parametrize("which", ["llama-server", "llama-native"])
def test_remote_rerank_over_both_servers(which: str, reranker: Llama, their_reranker: LlamaServer,
                                         our_reranker: Served) -> None:
    url = their_reranker.base_url if which == "llama-server" else our_reranker.url
    local = _scores(reranker.rerank(QUERY, DOCS))
    with RemoteLlama(url) as remote:
        results = remote.rerank(QUERY, DOCS, top_n=4)
        assert [r["index"] for r in results] == [r["index"] for r in reranker.rerank(QUERY, DOCS, top_n=4)]
        assert all(abs(r["relevance_score"] - local[r["index"]]) <= 1e-4 for r in results)
        assert all(r["document"]["text"] == DOCS[r["index"]] for r in results)
        assert remote.create_rerank(QUERY, DOCS)["usage"]["prompt_tokens"] > 0
        with pytest.raises(ValueError, match="top_n"):
            remote.rerank(QUERY, DOCS, top_n=0)
