"""``LlamaCppEmbeddings``: LangChain embeddings over :meth:`llama_native.Llama.embed`."""

from __future__ import annotations

from typing import Any

from langchain_core.embeddings import Embeddings

from ._params import LOAD_CONFIG, LlamaCppLoadParams


class LlamaCppEmbeddings(LlamaCppLoadParams, Embeddings):
    """A local GGUF model's embeddings (drop-in for langchain-community's ``LlamaCppEmbeddings``).

    Documents are embedded in native batches (several sequences per decode);
    the pooling is the model's own.  The model loads on first use, with an
    embedding context of its own.

    Setup:
        ``pip install 'llama-native[langchain]'`` and a GGUF embedding model.

    Key init args:
        model_path: Optional[str]
            The GGUF file (also ``model=``; default ``$LLAMA_NATIVE_MODEL_PATH``).
        n_ctx, n_threads, n_batch, n_gpu_layers:
            Context size, CPU threads, batch size, GPU offload.
        normalize: bool | int
            Unit vectors (False: as the model pools them; an int: llama-server's embd_normalize).

    Instantiate:
        .. code-block:: python

            >>> from langchain_llama_native import LlamaCppEmbeddings
            >>> from llama_native.testing import synthetic_model_path
            >>> emb = LlamaCppEmbeddings(model_path=str(synthetic_model_path()), n_ctx=256)

    Embed:
        .. code-block:: python

            >>> vectors = emb.embed_documents(["red", "green"])
            >>> len(vectors), len(vectors[0]) == len(emb.embed_query("blue"))
            (2, True)

    Async:
        .. code-block:: python

            >>> import asyncio
            >>> asyncio.run(emb.aembed_documents(["red", "green"])) == vectors
            True
    """

    model_config = LOAD_CONFIG  # unknown parameters are errors, not silently ignored

    n_ctx: int = 512
    normalize: bool | int = False
    """Scale every vector to unit length (True), or llama-server's ``embd_normalize`` mode (an int:
    -1 none, 0 max-abs int16, 1 taxicab, 2 euclidean, >2 p-norm)."""
    seed: int = -1
    """Accepted for compatibility; embedding involves no sampling."""

    def _load_kwargs(self) -> dict[str, Any]:
        return {**super()._load_kwargs(), "embedding": True}

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """One vector per text (inputs longer than the batch are truncated)."""
        return self._llama().embed(list(texts), normalize=self.normalize, per_token=False)

    def embed_query(self, text: str) -> list[float]:
        """The vector of one text."""
        return self._llama().embed(text, normalize=self.normalize, per_token=False)

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        """Awaitable :meth:`embed_documents` (the event loop keeps running)."""
        llama = await self._aload()
        return await llama.aembed(list(texts), normalize=self.normalize, per_token=False)

    async def aembed_query(self, text: str) -> list[float]:
        """Awaitable :meth:`embed_query`."""
        llama = await self._aload()
        return await llama.aembed(text, normalize=self.normalize, per_token=False)
