"""Embeddings: ``Llama.embed`` and OpenAI-shaped ``create_embedding`` (a mixin of Llama)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class EmbeddingMixin:
    """Embeddings with the model's own pooling (``Llama(..., embedding=True)``)."""

    context_params: dict[str, Any]
    model_path: str

    def _embedding_inputs(self, texts: Sequence[str], truncate: bool) -> list[list[int]]:
        ctx = self._context()  # type: ignore[attr-defined]
        limit = min(self.context_params["n_batch"], ctx.n_ctx)
        inputs = []
        for text in texts:
            if not isinstance(text, str):
                raise TypeError(f"embedding input must be a string, not {type(text).__name__}")
            tokens = self._model.tokenize(text.encode("utf-8"), self._model.add_bos, True)  # type: ignore[attr-defined]
            if not tokens:
                raise ValueError("cannot embed an empty input (the model adds no BOS token)")
            if len(tokens) > limit:
                if not truncate:
                    raise ValueError(
                        f"input is {len(tokens)} tokens long, more than the {limit} an embedding batch holds "
                        "(n_batch/n_ctx); pass truncate=True or raise n_batch and n_ctx"
                    )
                tokens = tokens[:limit]
            inputs.append(tokens)
        return inputs

    def embed(
        self,
        input: str | Sequence[str],
        normalize: bool = False,
        truncate: bool = True,
        return_count: bool = False,
    ) -> Any:
        """Embedding of a string (a list of floats), or of each string in a list, as llama-cpp-python's ``embed``.

        The pooling is the model's own (mean, CLS, last, ... from its GGUF);
        ``normalize=True`` scales each vector to unit length; inputs longer
        than the batch are cut when ``truncate`` (else ``ValueError``).
        ``return_count=True`` also returns the number of tokens embedded.

        Example::

            >>> from llama_native import Llama
            >>> from llama_native.testing import synthetic_model_path
            >>> llm = Llama(str(synthetic_model_path()), n_ctx=128, embedding=True)
            >>> vectors = llm.embed(["hello", "world"], normalize=True)
            >>> len(vectors), len(vectors[0]) == llm.n_embd(), round(sum(x * x for x in vectors[0]), 3)
            (2, True, 1.0)
        """
        if not self.context_params.get("embedding"):
            raise ValueError("this model was loaded without embedding=True; load it with Llama(..., embedding=True)")
        single = isinstance(input, str)
        texts: list[str] = [input] if isinstance(input, str) else list(input)
        if not texts:
            return ([], 0) if return_count else []
        inputs = self._embedding_inputs(texts, truncate)
        vectors: list[list[float]] = self._context().embed(inputs, normalize)  # type: ignore[attr-defined]
        count = sum(len(t) for t in inputs)
        result: Any = vectors[0] if single else vectors
        return (result, count) if return_count else result

    def create_embedding(self, input: str | Sequence[str], model: str | None = None) -> dict[str, Any]:
        """OpenAI-shaped embeddings: ``{"object": "list", "data": [{"embedding", "index"}], "usage"}``."""
        texts = [input] if isinstance(input, str) else list(input)
        vectors, count = self.embed(texts, return_count=True)
        return {
            "object": "list",
            "data": [{"object": "embedding", "embedding": v, "index": i} for i, v in enumerate(vectors)],
            "model": model or self.model_path,
            "usage": {"prompt_tokens": count, "total_tokens": count},
        }

    async def aembed(self, input: str | Sequence[str], normalize: bool = False, truncate: bool = True) -> Any:
        """Awaitable :meth:`embed` (runs on a thread of its own; the event loop keeps running)."""
        return await self._run_in_own_thread(lambda: self.embed(input, normalize, truncate))  # type: ignore[attr-defined]
