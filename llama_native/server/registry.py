"""The servable models by alias, each loaded on its first request (off the event loop) and kept.

A chat or completion request naming no model, or any name when only one is
served, gets the first; with several, an unknown name is a 404.  Embeddings
use the same file loaded with ``embedding=True`` (its own context).

Example::

    >>> from llama_native.server.registry import ModelRegistry
    >>> from llama_native.server.settings import ModelEntry
    >>> ModelRegistry([ModelEntry("a", "a.gguf", {"n_parallel": 4}), ModelEntry("b", "b.gguf")]).total_slots()
    5
"""

from __future__ import annotations

import asyncio
import os

from ..llama import Llama
from ..model_pool import shared_llama
from .errors import ApiError
from .settings import ModelEntry


class ModelRegistry:
    """Aliases to model entries, and the models once loaded."""

    def __init__(self, entries: list[ModelEntry]) -> None:
        self.entries = {e.alias: e for e in entries}
        self._locks = {e.alias: asyncio.Lock() for e in entries}
        self._loaded: dict[tuple[str, bool], Llama] = {}

    def aliases(self) -> list[str]:
        """The names clients may pass as ``model``."""
        return list(self.entries)

    def total_slots(self) -> int:
        """Requests the models run at once, all together."""
        return sum(int(e.load.get("n_parallel", 1)) for e in self.entries.values())

    def _entry(self, name: str | None) -> ModelEntry:
        if name in self.entries:
            return self.entries[name]
        if name is None or len(self.entries) == 1:
            return next(iter(self.entries.values()))
        raise ApiError(
            404, f"the model {name!r} does not exist; this server has {', '.join(self.entries)}",
            "invalid_request_error", param="model", code="model_not_found",
        )  # fmt: skip

    async def _load(self, entry: ModelEntry, embedding: bool) -> Llama:
        key = (entry.alias, embedding)
        if key in self._loaded:
            return self._loaded[key]
        async with self._locks[entry.alias]:
            if key not in self._loaded:
                if not os.path.isfile(entry.path):
                    raise ApiError(500, f"the model file of {entry.alias!r} is missing: {entry.path}", "server_error")
                load = dict(entry.load)
                if embedding:
                    load.update(embedding=True, n_parallel=1)
                self._loaded[key] = await asyncio.to_thread(shared_llama, entry.path, **load)
        return self._loaded[key]

    async def chat_model(self, name: str | None) -> tuple[str, Llama]:
        """The alias and the loaded model for a chat or text completion."""
        entry = self._entry(name)
        return entry.alias, await self._load(entry, embedding=bool(entry.load.get("embedding")))

    async def embedding_model(self, name: str | None) -> tuple[str, Llama]:
        """The alias and the model loaded for embeddings."""
        entry = self._entry(name)
        return entry.alias, await self._load(entry, embedding=True)
