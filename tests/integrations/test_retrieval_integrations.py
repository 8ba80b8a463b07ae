"""Reranking and embeddings in LangChain and LlamaIndex: local and over base_url, async without blocking the loop.

Scores are compared without flash attention (``flash_attn=False``, llama-server
``-fa off``): ggml's CPU flash-attention kernel rounds through F16 once a
batch holds more than 64 tokens, so a score then depends on which other
pairs share its ``llama_decode`` (see tests/core/test_retrieval_llama_server.py).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Iterator
from pathlib import Path
from typing import Any

import pytest
from langchain_classic.retrievers import ContextualCompressionRetriever
from langchain_core.documents import Document
from langchain_core.vectorstores import InMemoryVectorStore
from llama_index.core.schema import NodeWithScore, TextNode
from served import Served, start_server, stop_server

from langchain_llama_native import ChatLlamaCpp, LlamaCppEmbeddings, LlamaCppRerank
from llama_index.embeddings.llama_native import LlamaCPPEmbedding
from llama_index.postprocessor.llama_native import LlamaCppRerank as IndexRerank
from llama_native import Llama
from llama_native.llama_cpp_tools import LlamaServer
from llama_native.testing import embedding_model_path, reranker_model_path, synthetic_model_path

QUERY = "what do pandas eat?"
TEXTS = ["Pandas are bears that live in China.", "Paris is the capital of France.", "hi",
         "A panda eats bamboo for most of the day.", "The stock market fell sharply on Monday."]


@pytest.fixture(scope="module")
def local_scores() -> dict[int, float]:
    llm = Llama(str(reranker_model_path()), embedding=True, n_ctx=512, n_threads=2, flash_attn=False)
    return {r["index"]: r["relevance_score"] for r in llm.rerank(QUERY, TEXTS)}


@pytest.fixture(scope="module")
def our_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp("retrieval")
    (tmp / "models.json").write_text(json.dumps({"models": [
        {"model": str(reranker_model_path()), "model_alias": "rr", "n_ctx": 512, "flash_attn": False}]}))
    served = start_server(tmp, "--config", str(tmp / "models.json"))
    yield served
    stop_server(served)


async def _max_loop_lag(work: Awaitable[Any]) -> tuple[Any, float, float]:
    """``(result, longest gap between 5 ms ticks, seconds the work took)`` while ``work`` runs on this loop."""
    lag = 0.0
    done = False

    async def ticker() -> None:
        nonlocal lag
        while not done:
            before = time.perf_counter()
            await asyncio.sleep(0.005)
            lag = max(lag, time.perf_counter() - before - 0.005)

    tick = asyncio.create_task(ticker())
    await asyncio.sleep(0.02)
    started = time.perf_counter()
    result = await work
    took = time.perf_counter() - started
    done = True
    await tick
    return result, lag, took


def _long_texts(n: int) -> list[str]:
    return [f"passage {i}: " + " ".join(f"word{(i * 7 + j) % 97}" for j in range(120)) for i in range(n)]


def test_langchain_rerank_in_a_contextual_compression_retriever(local_scores: dict[int, float]) -> None:
    embeddings = LlamaCppEmbeddings(model_path=str(embedding_model_path()), n_ctx=512, normalize=True)
    store = InMemoryVectorStore.from_texts(TEXTS, embeddings, metadatas=[{"i": i} for i in range(len(TEXTS))])
    rerank = LlamaCppRerank(model_path=str(reranker_model_path()), top_n=2, model_kwargs={"flash_attn": False})
    retriever = ContextualCompressionRetriever(base_compressor=rerank,
                                               base_retriever=store.as_retriever(search_kwargs={"k": 5}))
    docs = retriever.invoke(QUERY)
    best = sorted(local_scores, key=lambda i: -local_scores[i])[:2]
    assert [d.metadata["i"] for d in docs] == best
    assert [d.metadata["relevance_score"] for d in docs] == pytest.approx([local_scores[i] for i in best], abs=1e-5)
    assert asyncio.run(retriever.ainvoke(QUERY)) == docs
    assert rerank.compress_documents([], QUERY) == []


def test_langchain_async_rerank_and_embed_do_not_block_the_loop() -> None:
    rerank = LlamaCppRerank(model_path=str(reranker_model_path()), top_n=None, n_batch=2048)
    embeddings = LlamaCppEmbeddings(model_path=str(embedding_model_path()), n_ctx=512, n_batch=2048)
    docs = [Document(page_content=t) for t in _long_texts(300)]
    rerank.compress_documents(docs[:2], QUERY), embeddings.embed_query("load")  # load outside the probe
    ranked, lag, took = asyncio.run(_max_loop_lag(rerank.acompress_documents(docs, QUERY)))
    assert len(ranked) == 300 and took > 0.2 and lag < 0.1, (took, lag)
    vectors, lag, took = asyncio.run(_max_loop_lag(embeddings.aembed_documents(_long_texts(300))))
    assert len(vectors) == 300 and took > 0.2 and lag < 0.1, (took, lag)


def test_llama_index_rerank_and_async_embedding_batch(local_scores: dict[int, float]) -> None:
    rerank = IndexRerank(model_path=str(reranker_model_path()), top_n=3, model_kwargs={"flash_attn": False})
    nodes = [NodeWithScore(node=TextNode(text=t, id_=str(i))) for i, t in enumerate(TEXTS)]
    best = rerank.postprocess_nodes(nodes, query_str=QUERY)
    expected = sorted(local_scores, key=lambda i: -local_scores[i])[:3]
    assert [int(n.node.node_id) for n in best] == expected
    assert [n.score for n in best] == pytest.approx([local_scores[i] for i in expected], abs=1e-5)
    again = asyncio.run(rerank.apostprocess_nodes(nodes, query_str=QUERY))
    assert [n.node.node_id for n in again] == [n.node.node_id for n in best]
    with pytest.raises(ValueError, match="query"):
        rerank.postprocess_nodes(nodes)
    embedding = LlamaCPPEmbedding(model_path=str(embedding_model_path()), n_ctx=512,
                                  model_kwargs={"n_batch": 2048}, embed_batch_size=400)
    embedding.get_text_embedding("load")
    vectors, lag, took = asyncio.run(_max_loop_lag(embedding.aget_text_embedding_batch(_long_texts(300))))
    assert len(vectors) == 300 and took > 0.2 and lag < 0.1, (took, lag)


@pytest.mark.parametrize("which", ["llama-server", "llama-native"])
def test_rerank_over_base_url(which: str, local_scores: dict[int, float], our_server: Served) -> None:
    def check(url: str) -> None:
        docs = LlamaCppRerank(base_url=url, top_n=2).compress_documents(
            [Document(page_content=t, metadata={"i": i}) for i, t in enumerate(TEXTS)], QUERY)
        nodes = IndexRerank(base_url=url, top_n=2).postprocess_nodes(
            [NodeWithScore(node=TextNode(text=t, id_=str(i))) for i, t in enumerate(TEXTS)], query_str=QUERY)
        best = sorted(local_scores, key=lambda i: -local_scores[i])[:2]
        assert [d.metadata["i"] for d in docs] == [int(n.node.node_id) for n in nodes] == best
        assert [d.metadata["relevance_score"] for d in docs] == pytest.approx([local_scores[i] for i in best],
                                                                               abs=1e-4)

    if which == "llama-native":
        check(our_server.url)
    else:
        with LlamaServer(reranker_model_path(), threads=2, n_ctx=2048, args=["--reranking", "-fa", "off"]) as server:
            check(server.base_url)


def test_concurrent_embed_and_chat_on_separate_models_stay_correct() -> None:
    embeddings = LlamaCppEmbeddings(model_path=str(embedding_model_path()), n_ctx=512)
    chat = ChatLlamaCpp(model_path=str(synthetic_model_path()), n_ctx=512, temperature=0, max_tokens=16, seed=1)
    texts = _long_texts(64)
    alone_vectors = embeddings.embed_documents(texts)
    alone_reply = chat.invoke("Say something.").content

    async def together() -> tuple[Any, ...]:
        return tuple(await asyncio.gather(embeddings.aembed_documents(texts), chat.ainvoke("Say something."),
                                          embeddings.aembed_documents(texts[:8]), chat.ainvoke("Say something.")))

    vectors, reply, few, reply2 = asyncio.run(together())
    assert vectors == alone_vectors and few == alone_vectors[:8]
    assert reply.content == reply2.content == alone_reply


def test_rerank_needs_a_model_path_or_base_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LLAMA_NATIVE_MODEL_PATH", raising=False)
    with pytest.raises(ValueError, match="model"):
        IndexRerank().postprocess_nodes([NodeWithScore(node=TextNode(text="x"))], query_str="q")
