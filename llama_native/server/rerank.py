"""``POST /v1/rerank`` and ``/rerank``: llama-server's reranking endpoint, also in Jina's and Cohere's shape.

The request: ``query``, ``documents`` (strings, or ``{"text": ...}`` objects
as Jina and Cohere take them), ``top_n``, ``return_documents``, ``model``.
The response, as llama-server's: ``{"model", "object": "list", "usage",
"results": [{"index", "relevance_score"}]}``, best first; each result also
carries ``"document": {"text"}`` with ``return_documents``. The model is the
entry loaded with ``embedding=True``; it must be a reranker (pooling RANK),
else the answer is a 400 naming ``pooling_type``.

Example::

    >>> from fastapi.testclient import TestClient
    >>> from llama_native.server import ServerSettings, ModelEntry, create_app
    >>> from llama_native.testing import reranker_model_path
    >>> entry = ModelEntry(alias="rr", path=str(reranker_model_path()), load={"embedding": True, "n_ctx": 512})
    >>> with TestClient(create_app(ServerSettings(models=[entry]))) as client:
    ...     body = client.post("/v1/rerank", json={"query": "hi", "documents": ["a", {"text": "b"}]}).json()
    >>> body["model"], sorted(r["index"] for r in body["results"])
    ('rr', [0, 1])
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from .errors import ApiError
from .registry import ModelRegistry


class RerankDocumentIn(BaseModel):
    """A document as an object (Jina, Cohere): its ``text``."""

    model_config = ConfigDict(extra="ignore")
    text: str


class RerankRequest(BaseModel):
    """``POST /v1/rerank`` (llama-server, Jina, Cohere)."""

    model_config = ConfigDict(extra="forbid")
    query: str
    documents: list[str | RerankDocumentIn]
    model: str | None = None
    top_n: int | None = Field(default=None, ge=1)
    return_documents: bool = False

    def texts(self) -> list[str]:
        """The documents as strings."""
        if not self.documents:
            raise ApiError(400, "documents must be a non-empty list", "invalid_request_error", "documents")
        return [d if isinstance(d, str) else d.text for d in self.documents]


Run = Callable[[Request, str, Callable[[], Awaitable[Any]], bool, bool, str], Awaitable[Response]]


def install_rerank_routes(app: FastAPI, registry: ModelRegistry, run: Run) -> None:
    """Add ``/v1/rerank`` and ``/rerank`` to ``app``, run through the app's admission and metrics (``run``)."""

    async def rerank(body: RerankRequest, request: Request) -> Response:
        texts = body.texts()
        alias, llm = await registry.embedding_model(body.model)

        async def make() -> Any:
            return await asyncio.to_thread(
                llm.create_rerank, body.query, texts, body.top_n, body.return_documents, alias
            )

        return await run(request, "rerank", make, False, False, alias)

    app.post("/v1/rerank")(rerank)
    app.post("/rerank")(rerank)
