"""``LlamaCppRerank``: a LangChain document compressor over :meth:`llama_native.Llama.rerank`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.callbacks import Callbacks
from langchain_core.documents import BaseDocumentCompressor, Document
from pydantic import Field

from llama_native.constants import LLAMA_POOLING_TYPE_RANK

from ._params import LOAD_CONFIG, LlamaCppLoadParams


class LlamaCppRerank(LlamaCppLoadParams, BaseDocumentCompressor):
    """Reranks retrieved documents with a local GGUF reranker (or a ``base_url`` server's ``/v1/rerank``).

    A reranker (bge-reranker, jina-reranker, Qwen3-Reranker GGUFs: llama.cpp's
    ``LLAMA_POOLING_TYPE_RANK``) reads the query and each document together and
    scores the pair, as llama-server's ``/v1/rerank`` does. The best ``top_n``
    documents come back best first, each with ``metadata["relevance_score"]``.
    Use it as ``ContextualCompressionRetriever(base_compressor=..., base_retriever=...)``.

    Setup:
        ``pip install 'llama-native[langchain]'`` and a GGUF reranker.

    Key init args:
        model_path: Optional[str]
            The reranker GGUF (also ``model=``; default ``$LLAMA_NATIVE_MODEL_PATH``).
        base_url: Optional[str]
            A llama-server started with ``--reranking``, or ``llama-native serve``, instead.
        top_n: Optional[int]
            How many documents to keep (3; None keeps all, reordered).

    Instantiate:
        .. code-block:: python

            >>> from langchain_core.documents import Document
            >>> from langchain_llama_native import LlamaCppRerank
            >>> from llama_native.testing import reranker_model_path
            >>> rerank = LlamaCppRerank(model_path=str(reranker_model_path()), top_n=2)

    Rerank:
        .. code-block:: python

            >>> docs = [Document(page_content=t) for t in ["pandas eat bamboo", "Paris", "stocks"]]
            >>> best = rerank.compress_documents(docs, "what do pandas eat?")
            >>> len(best), "relevance_score" in best[0].metadata
            (2, True)

    Async:
        .. code-block:: python

            >>> import asyncio
            >>> asyncio.run(rerank.acompress_documents(docs, "what do pandas eat?")) == best
            True
    """

    model_config = LOAD_CONFIG

    n_ctx: int = 512
    top_n: int | None = Field(default=3, ge=1)
    """How many documents to keep, best first (None: all of them, reordered)."""

    def _load_kwargs(self) -> dict[str, Any]:
        return {**super()._load_kwargs(), "embedding": True, "pooling_type": LLAMA_POOLING_TYPE_RANK}

    def _ranked(self, documents: Sequence[Document], results: list[Any]) -> list[Document]:
        out = []
        for result in results:
            doc = documents[result["index"]]
            metadata = {**doc.metadata, "relevance_score": result["relevance_score"]}
            out.append(Document(page_content=doc.page_content, metadata=metadata, id=doc.id))
        return out

    def compress_documents(
        self, documents: Sequence[Document], query: str, callbacks: Callbacks | None = None
    ) -> Sequence[Document]:
        """The ``top_n`` documents most relevant to ``query``, best first, scores in their metadata."""
        if not documents:
            return []
        texts = [d.page_content for d in documents]
        return self._ranked(documents, self._llama().rerank(query, texts, self.top_n, False))

    async def acompress_documents(
        self, documents: Sequence[Document], query: str, callbacks: Callbacks | None = None
    ) -> Sequence[Document]:
        """Awaitable :meth:`compress_documents` (the scoring runs off the event loop)."""
        if not documents:
            return []
        llama = await self._aload()
        texts = [d.page_content for d in documents]
        return self._ranked(documents, await llama.arerank(query, texts, self.top_n, False))
