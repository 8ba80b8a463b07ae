"""Reranking over HTTP: ``POST /v1/rerank`` on llama-server (``--reranking``) or ``llama-native serve``.

Both servers answer in llama-server's shape (``results`` of ``index`` and
``relevance_score``, best first); the documents' texts are put back from the
request, so ``return_documents`` works on servers that do not return them.

Example (not run here: it needs a server)::

    from llama_native.remote import RemoteLlama
    rr = RemoteLlama("http://127.0.0.1:8080")
    rr.rerank("what do pandas eat?", ["bamboo", "the stock market"], top_n=1)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..runtime.rerank import RerankResult, check_rerank_arguments
from .transport import Transport


def remote_rerank(
    transport: Transport, query: str, documents: Sequence[str], top_n: int | None, return_documents: bool,
    model: str | None,
) -> dict[str, Any]:
    """The server's ``/v1/rerank`` response, its results checked and (with ``return_documents``) given their texts."""
    docs = check_rerank_arguments(query, documents, top_n)
    body: dict[str, Any] = {"query": query, "documents": docs}
    if top_n is not None:
        body["top_n"] = top_n
    if model is not None:
        body["model"] = model
    out = dict(transport.post_json("/v1/rerank", body)[1])
    results: list[RerankResult] = []
    for item in out.get("results") or []:
        index = int(item["index"])
        if not 0 <= index < len(docs):
            raise ValueError(f"the server ranked document {index}, but only {len(docs)} were sent")
        result: RerankResult = {"index": index, "relevance_score": float(item["relevance_score"])}
        if return_documents:
            result["document"] = {"text": docs[index]}
        results.append(result)
    results.sort(key=lambda r: -r["relevance_score"])
    out["results"] = results[:top_n] if top_n is not None else results
    out.setdefault("object", "list")
    return out
