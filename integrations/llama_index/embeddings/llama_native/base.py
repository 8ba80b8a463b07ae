"""``LlamaCPPEmbedding``: LlamaIndex embeddings over :meth:`llama_native.Llama.embed` (or a ``base_url`` server's)."""

from __future__ import annotations

import asyncio
from typing import Any

from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.bridge.pydantic import Field, PrivateAttr, model_validator

from llama_native.default_model import resolve_model_path
from llama_native.model_pool import shared_client


class LlamaCPPEmbedding(BaseEmbedding):
    """A local GGUF model's embeddings for LlamaIndex (query and text, batched natively, sync and async).

    The model loads on first use with an embedding context of its own and is
    shared with every instance of the same file and parameters.

    Setup:
        ``pip install 'llama-native[llama-index]'`` and a GGUF embedding model.

    Key init args:
        model_path: Optional[str]
            The GGUF file (default ``$LLAMA_NATIVE_MODEL_PATH``).
        n_ctx: int
            Context size per input (512).
        normalize: bool
            Unit vectors (True).

    Instantiate:
        .. code-block:: python

            >>> from llama_index.embeddings.llama_native import LlamaCPPEmbedding
            >>> from llama_native.testing import synthetic_model_path
            >>> emb = LlamaCPPEmbedding(model_path=str(synthetic_model_path()))

    Embed:
        .. code-block:: python

            >>> len(emb.get_text_embedding_batch(["a", "b"])), len(emb.get_query_embedding("c")) > 0
            (2, True)

    Async:
        .. code-block:: python

            >>> import asyncio
            >>> asyncio.run(emb.aget_query_embedding("c")) == emb.get_query_embedding("c")
            True
    """

    model_path: str | None = Field(
        default=None, description="Path to the .gguf file (default: $LLAMA_NATIVE_MODEL_PATH)."
    )
    n_ctx: int = Field(default=512, gt=0, description="Context size of the embedding context.")
    normalize: bool | int = Field(
        default=True,
        description="Scale vectors to unit length (cosine similarity as dot product); an int is llama-server's "
        "embd_normalize (-1 none, 0 max-abs int16, 1 taxicab, 2 euclidean, >2 p-norm).",
    )
    model_kwargs: dict[str, Any] = Field(default_factory=dict, description="Extra llama_native.Llama arguments.")
    verbose: bool = Field(default=False, description="Forward llama.cpp's log to logging.")
    base_url: str | list[str] | None = Field(
        default=None, description="llama-server (--embeddings) or llama-native serve URL(s) instead of a local file."
    )
    api_key: str | None = Field(default=None, description="Sent as Authorization: Bearer ... to base_url.")

    _client: Any = PrivateAttr(default=None)

    @model_validator(mode="before")
    @classmethod
    def _resolve_model(cls, values: Any) -> Any:
        if not isinstance(values, dict) or values.get("base_url"):
            return values
        values = {**values, "model_path": resolve_model_path(values.get("model_path"))}
        if values["model_path"]:
            values.setdefault("model_name", values["model_path"])
        return values

    @classmethod
    def class_name(cls) -> str:
        """The name LlamaIndex serializes this class under."""
        return "LlamaNativeEmbedding"

    @property
    def client(self) -> Any:
        """The underlying :class:`llama_native.Llama` (loaded on first access), or the servers' ``RemoteLlama``."""
        if self._client is None:
            self._client = shared_client(
                self.base_url, self.model_path, self.api_key,
                n_ctx=self.n_ctx, embedding=True, verbose=self.verbose, **self.model_kwargs,
            )
        return self._client

    async def _aclient(self) -> Any:
        if self._client is not None:
            return self._client
        return await asyncio.to_thread(lambda: self.client)

    def _get_query_embedding(self, query: str) -> list[float]:
        return self.client.embed(query, normalize=self.normalize, per_token=False)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self.client.embed(text, normalize=self.normalize, per_token=False)

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self.client.embed(list(texts), normalize=self.normalize, per_token=False)

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return await (await self._aclient()).aembed(query, normalize=self.normalize, per_token=False)

    async def _aget_text_embedding(self, text: str) -> list[float]:
        return await (await self._aclient()).aembed(text, normalize=self.normalize, per_token=False)

    async def _aget_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return await (await self._aclient()).aembed(list(texts), normalize=self.normalize, per_token=False)
