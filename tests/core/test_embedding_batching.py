"""With flash attention on (llama.cpp's auto), a vector does not depend on the batch it was computed in.

ggml's CPU flash attention accumulates in F16 for a batch of fewer than 64
tokens and in F32 (a tiled kernel) from 64 on: a short text embedded alone
and the same text packed with 15 others into a 240-token batch differed by
1.45e-4.  An embedding context with flash attention on the CPU packs texts
under 64 tokens into batches under 64 tokens (the kernel each takes alone),
the longer ones together; so a list's vectors equal each text's alone, and
llama-server's at its defaults (flash attention auto, 4 slots of short texts).
"""

from __future__ import annotations

import pytest

from llama_native import Llama
from llama_native.llama_cpp_tools import LlamaServer
from llama_native.testing import embedding_model_path, reranker_model_path

TOPICS = ["pandas eat bamboo", "the capital of France", "a falling stock market", "how to bake bread"]
SHORT = [f"Note {i}: something about {TOPICS[i % 4]}, item {i * 7 % 13}." for i in range(40)]
LONG = [" ".join(f"word{j} {TOPICS[(i + j) % 4]}" for j in range(20)) for i in range(3)]  # over 64 tokens each
TEXTS = SHORT[:20] + LONG[:2] + SHORT[20:] + LONG[2:]


def _max_diff(a: list[list[float]], b: list[list[float]]) -> float:
    return max(abs(x - y) for u, v in zip(a, b, strict=True) for x, y in zip(u, v, strict=True))


@pytest.fixture(scope="module")
def embedder() -> Llama:
    return Llama(str(embedding_model_path("mean")), embedding=True, n_ctx=1024, n_batch=1024, n_ubatch=1024,
                 n_threads=2, flash_attn=None)


def test_the_long_texts_are_long_and_the_list_spans_many_batches(embedder: Llama) -> None:
    lengths = [len(embedder.tokenize(t.encode())) for t in TEXTS]
    assert all(n >= 64 for n in lengths[20:22]) and lengths[-1] >= 64
    assert all(n < 64 for n in lengths[:20]) and sum(lengths) > 64 * 8


def test_a_lists_vectors_equal_each_texts_alone(embedder: Llama) -> None:
    together = embedder.embed(TEXTS, normalize=True)
    alone = [embedder.embed(text, normalize=True) for text in TEXTS]
    assert _max_diff(together, alone) <= 1e-5  # (was 1.45e-4 with every batch as large as it could be)
    assert _max_diff(embedder.embed(TEXTS[::-1], normalize=True)[::-1], together) <= 1e-5  # order does not matter


def test_flash_attention_off_agrees_within_f16_rounding(embedder: Llama) -> None:
    off = Llama(str(embedding_model_path("mean")), embedding=True, n_ctx=1024, n_batch=1024, n_ubatch=1024,
                n_threads=2, flash_attn=False)
    together = off.embed(TEXTS, normalize=True)
    assert _max_diff(together, [off.embed(t, normalize=True) for t in TEXTS]) <= 1e-4
    assert 0 < _max_diff(together, embedder.embed(TEXTS, normalize=True)) <= 1e-3  # F16 rounding with it on


def test_default_flash_attention_vectors_equal_llama_servers(embedder: Llama) -> None:
    ours = embedder.embed(SHORT, normalize=True)
    with LlamaServer(embedding_model_path("mean"), threads=2, n_ctx=4096,
                     args=["--embeddings", "-np", "4", "-fa", "auto"]) as server:
        theirs = server.post("/v1/embeddings", {"input": SHORT})
    vectors = [d["embedding"] for d in sorted(theirs["data"], key=lambda d: d["index"])]
    assert _max_diff(ours, vectors) <= 1e-5  # the same kernel for each (6e-8 measured; 1e-4 apart otherwise)


def test_rerank_scores_do_not_depend_on_the_other_documents() -> None:
    reranker = Llama(str(reranker_model_path()), embedding=True, n_ctx=1024, n_batch=1024, n_ubatch=1024,
                     n_threads=2, flash_attn=None)
    query, documents = "what do pandas eat?", SHORT[:12]
    together = {r["index"]: r["relevance_score"] for r in reranker.rerank(query, documents)}
    for i, document in enumerate(documents):
        alone = reranker.rerank(query, [document])[0]["relevance_score"]
        assert abs(alone - together[i]) <= 1e-5
