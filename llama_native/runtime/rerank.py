"""Reranking on a ``LLAMA_POOLING_TYPE_RANK`` model: what ``Llama.rerank`` and ``Llama.create_rerank`` do.

A reranker reads a query and a document together and gives one score (its
classification head's first output). Each pair is tokenized as llama-server's
``format_prompt_rerank`` tokenizes it: through the GGUF's ``rerank`` template
(``tokenizer.chat_template.rerank``, with ``{query}`` and ``{document}``) where
there is one, else ``[BOS] query [EOS] [SEP] document [EOS]`` as the
vocabulary adds those tokens. All pairs are scored in as few ``llama_decode``
calls as ``n_batch`` and ``n_seq_max`` allow; the results come best first,
in the shape of llama-server's ``/v1/rerank``.

Example::

    >>> from llama_native import Llama
    >>> from llama_native.testing import reranker_model_path
    >>> rr = Llama(str(reranker_model_path()), embedding=True, n_ctx=512, verbose=False)
    >>> results = rr.rerank("what is a panda?", ["a bear of China", "a city", "hi"], top_n=2)
    >>> [sorted(r) for r in results]
    [['document', 'index', 'relevance_score'], ['document', 'index', 'relevance_score']]
    >>> results[0]["relevance_score"] >= results[1]["relevance_score"]
    True
    >>> rr.create_rerank("what is a panda?", ["a bear of China"])["usage"]["prompt_tokens"] > 0
    True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypedDict

from typing_extensions import NotRequired

from .. import _native
from .embedding import LLAMA_POOLING_TYPE_RANK, POOLING_NAMES


class RerankDocument(TypedDict):
    """A document as a rerank result returns it (Jina's and Cohere's shape)."""

    text: str


class RerankResult(TypedDict):
    """One scored document: its position in the request, its score, and (when asked) its text."""

    index: int
    relevance_score: float
    document: NotRequired[RerankDocument]


def check_rerank_arguments(query: Any, documents: Any, top_n: Any) -> list[str]:
    """The documents as a list of strings; ``TypeError``/``ValueError`` naming what is wrong otherwise."""
    if not isinstance(query, str):
        raise TypeError(f"query must be a string, not {type(query).__name__}")
    if isinstance(documents, str) or not isinstance(documents, Sequence):
        raise TypeError("documents must be a list of strings")
    docs = list(documents)
    if not docs:
        raise ValueError("documents must be a non-empty list of strings")
    for i, doc in enumerate(docs):
        if not isinstance(doc, str):
            raise TypeError(f"documents[{i}] must be a string, not {type(doc).__name__}")
    if top_n is not None and (isinstance(top_n, bool) or not isinstance(top_n, int) or top_n < 1):
        raise ValueError(f"top_n must be a positive integer (or None for all), got {top_n!r}")
    return docs


def pair_tokens(model: _native.Model, template: str, query: str, document: str) -> list[int]:
    """The tokens llama-server's ``format_prompt_rerank`` makes of one query-document pair."""
    if template:
        prompt = template.replace("{query}", query).replace("{document}", document)
        return model.tokenize(prompt.encode("utf-8"), False, True)
    eos = model.token_eos if model.token_eos >= 0 else model.token_sep
    tokens: list[int] = []
    if model.add_bos:
        tokens.append(model.token_bos)
    tokens += model.tokenize(query.encode("utf-8"), False, False)
    if model.add_eos:
        tokens.append(eos)
    if model.add_sep:
        tokens.append(model.token_sep)
    tokens += model.tokenize(document.encode("utf-8"), False, False)
    if model.add_eos:
        tokens.append(eos)
    return tokens


def rerank(
    native: _native.Model, ctx: _native.Context | None, n_batch: int, model_path: str, query: str,
    documents: Sequence[str], top_n: int | None, return_documents: bool, model: str | None = None,
) -> dict[str, Any]:
    """llama-server's ``/v1/rerank`` response for ``documents`` against ``query`` on a reranker's context.

    ``ctx`` is the model's context (``None``: it was loaded without ``embedding=True``).
    """
    docs = check_rerank_arguments(query, documents, top_n)
    if ctx is None or not ctx.embeddings:
        raise ValueError(
            "this model was loaded without embedding=True; load the reranker with Llama(..., embedding=True) "
            "(llama-server: --reranking)"
        )
    if ctx.pooling_type != LLAMA_POOLING_TYPE_RANK:
        raise ValueError(
            f"{model_path} is not loaded as a reranker (pooling_type {POOLING_NAMES.get(ctx.pooling_type)}, "
            "not RANK): rerank needs a model with a classification head (bge-reranker, jina-reranker, "
            "Qwen3-Reranker GGUFs), loaded with embedding=True and, if its GGUF does not say so, "
            "pooling_type=LLAMA_POOLING_TYPE_RANK"
        )
    template = native.chat_template("rerank")
    pairs = [pair_tokens(native, template, query, doc) for doc in docs]
    limit = min(n_batch, ctx.n_ctx)
    for i, tokens in enumerate(pairs):
        if len(tokens) > limit:
            raise ValueError(
                f"query and documents[{i}] are {len(tokens)} tokens together, more than the {limit} a batch "
                "holds (n_batch/n_ctx); shorten the document or raise n_batch and n_ctx"
            )
    scores = ctx.embed(pairs, -1)
    results: list[RerankResult] = []
    for i, score in enumerate(scores):
        result: RerankResult = {"index": i, "relevance_score": float(score[0])}
        if return_documents:
            result["document"] = {"text": docs[i]}
        results.append(result)
    results.sort(key=lambda r: -r["relevance_score"])  # stable: equal scores keep request order
    count = sum(len(t) for t in pairs)
    return {
        "model": model or model_path,
        "object": "list",
        "usage": {"prompt_tokens": count, "total_tokens": count},
        "results": results[:top_n] if top_n is not None else results,
    }
