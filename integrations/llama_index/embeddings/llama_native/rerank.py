"""``LlamaCppRerank``: a LlamaIndex node postprocessor over :meth:`llama_native.Llama.rerank`."""

from __future__ import annotations

import asyncio
from typing import Any

from llama_index.core.bridge.pydantic import Field, PrivateAttr, model_validator
from llama_index.core.postprocessor.types import BaseNodePostprocessor
from llama_index.core.schema import NodeWithScore, QueryBundle

from llama_native.constants import LLAMA_POOLING_TYPE_RANK
from llama_native.default_model import resolve_model_path
from llama_native.model_pool import shared_client


class LlamaCppRerank(BaseNodePostprocessor):
    """Reranks retrieved nodes with a local GGUF reranker (or a ``base_url`` server's ``/v1/rerank``).

    A reranker (bge-reranker, jina-reranker, Qwen3-Reranker GGUFs: llama.cpp's
    ``LLAMA_POOLING_TYPE_RANK``) scores each (query, node text) pair as
    llama-server's ``/v1/rerank`` does; the best ``top_n`` nodes come back,
    best first, with the reranker's score as their ``score``. Use it in
    ``index.as_query_engine(node_postprocessors=[...])``.

    Setup:
        ``pip install 'llama-native[llama-index]'`` and a GGUF reranker.

    Key init args:
        model_path: Optional[str]
            The reranker GGUF (default ``$LLAMA_NATIVE_MODEL_PATH``).
        base_url: Optional[str]
            A llama-server started with ``--reranking``, or ``llama-native serve``, instead.
        top_n: Optional[int]
            How many nodes to keep (3; None keeps all, reordered).

    Instantiate:
        .. code-block:: python

            >>> from llama_index.core.schema import NodeWithScore, TextNode
            >>> from llama_index.postprocessor.llama_native import LlamaCppRerank
            >>> from llama_native.testing import reranker_model_path
            >>> rerank = LlamaCppRerank(model_path=str(reranker_model_path()), top_n=2)

    Rerank:
        .. code-block:: python

            >>> nodes = [NodeWithScore(node=TextNode(text=t)) for t in ["pandas eat bamboo", "Paris", "stocks"]]
            >>> best = rerank.postprocess_nodes(nodes, query_str="what do pandas eat?")
            >>> len(best), best[0].score >= best[1].score
            (2, True)

    Async:
        .. code-block:: python

            >>> import asyncio
            >>> again = asyncio.run(rerank.apostprocess_nodes(nodes, query_str="what do pandas eat?"))
            >>> [n.node.node_id for n in again] == [n.node.node_id for n in best]
            True
    """

    model_path: str | None = Field(default=None, description="The reranker .gguf (default: $LLAMA_NATIVE_MODEL_PATH).")
    top_n: int | None = Field(default=3, ge=1, description="Nodes to keep, best first (None: all).")
    n_ctx: int = Field(default=512, gt=0, description="Context size of the reranking context.")
    model_kwargs: dict[str, Any] = Field(default_factory=dict, description="Extra llama_native.Llama arguments.")
    verbose: bool = Field(default=False, description="Forward llama.cpp's log to logging.")
    base_url: str | list[str] | None = Field(
        default=None, description="llama-server (--reranking) or llama-native serve URL(s) instead of a local file."
    )
    api_key: str | None = Field(default=None, description="Sent as Authorization: Bearer ... to base_url.")

    _client: Any = PrivateAttr(default=None)

    @model_validator(mode="before")
    @classmethod
    def _resolve_model(cls, values: Any) -> Any:
        if isinstance(values, dict) and not values.get("base_url"):
            values = {**values, "model_path": resolve_model_path(values.get("model_path"))}
        return values

    @classmethod
    def class_name(cls) -> str:
        """The name LlamaIndex serializes this class under."""
        return "LlamaNativeRerank"

    @property
    def client(self) -> Any:
        """The :class:`llama_native.Llama` reranker (loaded on first access), or the servers' ``RemoteLlama``."""
        if self._client is None:
            self._client = shared_client(
                self.base_url, self.model_path, self.api_key,
                n_ctx=self.n_ctx, embedding=True, pooling_type=LLAMA_POOLING_TYPE_RANK, verbose=self.verbose,
                **self.model_kwargs,
            )
        return self._client

    def _ranked(self, nodes: list[NodeWithScore], results: list[Any]) -> list[NodeWithScore]:
        return [NodeWithScore(node=nodes[r["index"]].node, score=r["relevance_score"]) for r in results]

    def _postprocess_nodes(
        self, nodes: list[NodeWithScore], query_bundle: QueryBundle | None = None
    ) -> list[NodeWithScore]:
        if query_bundle is None:
            raise ValueError("reranking needs the query: pass query_str= or query_bundle=")
        if not nodes:
            return []
        texts = [n.node.get_content() for n in nodes]
        return self._ranked(nodes, self.client.rerank(query_bundle.query_str, texts, self.top_n, False))

    async def _apostprocess_nodes(
        self, nodes: list[NodeWithScore], query_bundle: QueryBundle | None = None
    ) -> list[NodeWithScore]:
        if query_bundle is None:
            raise ValueError("reranking needs the query: pass query_str= or query_bundle=")
        if not nodes:
            return []
        client = self._client if self._client is not None else await asyncio.to_thread(lambda: self.client)
        texts = [n.node.get_content() for n in nodes]
        return self._ranked(nodes, await client.arerank(query_bundle.query_str, texts, self.top_n, False))
