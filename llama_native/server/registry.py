"""The servable models by alias: loaded at startup (or, with ``lazy``, on their first request) and kept.

A chat or completion request naming no model, or any name when only one is
served, gets the first; with several, an unknown name is a 404.  Embeddings
use the same file loaded with ``embedding=True`` (its own context, loaded on
the first embeddings request unless the entry itself is an embedding model).

:meth:`ModelRegistry.load_all` loads every entry before the server binds and
raises :class:`StartupError` naming each file that cannot be served (missing,
not a GGUF, truncated or corrupt, refused arguments).  A lazily loaded model
goes ``not_loaded`` -> ``loading`` -> ``ready`` or ``failed`` (see
:meth:`ModelRegistry.states`, which ``/health`` reports); a failed model
answers 503 with the reason until its file (or projector) changes, when the
next request tries again.

Example::

    >>> from llama_native.server.registry import ModelRegistry
    >>> from llama_native.server.settings import ModelEntry
    >>> registry = ModelRegistry([ModelEntry("a", "a.gguf", {"n_parallel": 4}), ModelEntry("b", "b.gguf")])
    >>> registry.total_slots(), registry.states()["a"]
    (5, {'state': 'not_loaded'})
    >>> try:
    ...     registry.load_all()
    ... except StartupError as exc:
    ...     print(exc)
    model 'a' (a.gguf): model file not found: 'a.gguf'
    model 'b' (b.gguf): model file not found: 'b.gguf'
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from typing import Any

from ..llama import Llama
from ..model_pool import shared_llama
from ..runtime.loading import ModelLoadError, check_model_file
from .errors import ApiError
from .settings import ModelEntry


class StartupError(Exception):
    """Models that cannot be served, one line each: alias, file and reason (``llama-native serve`` exits)."""


@dataclass
class ModelState:
    """Where a model's loading stands: ``not_loaded``, ``loading``, ``ready`` or ``failed`` (with ``error``)."""

    state: str = "not_loaded"
    error: str | None = None
    #: the files' sizes and mtimes when loading failed: a changed file is tried again
    failed_files: tuple[tuple[int, int] | None, ...] = ()

    def as_json(self) -> dict[str, Any]:
        """``{"state": ...}``, plus ``"error"`` when it failed."""
        return {"state": self.state, **({"error": self.error} if self.error else {})}


def _file_stamp(entry: ModelEntry) -> tuple[tuple[int, int] | None, ...]:
    """Size and mtime of the entry's model file and projector (``None`` for one that is missing)."""
    handler = entry.load.get("chat_handler")
    projector = entry.load.get("mmproj_path") or getattr(handler, "clip_model_path", None)
    stamps: list[tuple[int, int] | None] = []
    for path in (entry.path, projector) if projector else (entry.path,):
        try:
            st = os.stat(path)
        except OSError:
            stamps.append(None)
        else:
            stamps.append((st.st_size, st.st_mtime_ns))
    return tuple(stamps)


def _reason(exc: Exception) -> str:
    """What went wrong, in words (llama-native's load errors already name the problem)."""
    return str(exc) if isinstance(exc, (ValueError, TypeError)) else f"{type(exc).__name__}: {exc}"


class ModelRegistry:
    """Aliases to model entries, the models once loaded, and each one's loading state."""

    def __init__(self, entries: list[ModelEntry]) -> None:
        self.entries = {e.alias: e for e in entries}
        self._locks = {e.alias: asyncio.Lock() for e in entries}
        self._loaded: dict[tuple[str, bool], Llama] = {}
        self._states: dict[tuple[str, bool], ModelState] = {}

    def aliases(self) -> list[str]:
        """The names clients may pass as ``model``."""
        return list(self.entries)

    def total_slots(self) -> int:
        """Requests the models run at once, all together."""
        return sum(int(e.load.get("n_parallel", 1)) for e in self.entries.values())

    def states(self) -> dict[str, dict[str, Any]]:
        """Each alias's state (``/health``); ``"embeddings"`` too once a chat model's embedding copy was asked for."""
        out: dict[str, dict[str, Any]] = {}
        for alias, entry in self.entries.items():
            main = _is_embedding(entry)
            out[alias] = self._states.get((alias, main), ModelState()).as_json()
            if not main and (alias, True) in self._states:
                out[alias]["embeddings"] = self._states[(alias, True)].as_json()
        return out

    def load_all(self) -> None:
        """Load every entry now (before serving); :class:`StartupError` names each one that cannot be served.

        The files are checked first, all of them, so that a wrong path is reported
        before minutes of loading the others; then the models load in order.
        """
        pending = [e for e in self.entries.values() if (e.alias, _is_embedding(e)) not in self._loaded]
        problems = []
        for entry in pending:
            try:
                check_model_file(entry.path)
            except ModelLoadError as exc:
                problems.append(f"model {entry.alias!r} ({entry.path}): {exc}")
        if problems:
            raise StartupError("\n".join(problems))
        for entry in pending:
            embedding = _is_embedding(entry)
            try:
                self._load_now(entry, embedding)
            except ApiError:
                reason = self._state(entry, embedding).error
                raise StartupError(f"model {entry.alias!r} ({entry.path}): {reason}") from None

    def _entry(self, name: str | None) -> ModelEntry:
        if name in self.entries:
            return self.entries[name]
        if name is None or len(self.entries) == 1:
            return next(iter(self.entries.values()))
        raise ApiError(
            404, f"the model {name!r} does not exist; this server has {', '.join(self.entries)}",
            "invalid_request_error", param="model", code="model_not_found",
        )  # fmt: skip

    def _state(self, entry: ModelEntry, embedding: bool) -> ModelState:
        return self._states.setdefault((entry.alias, embedding), ModelState())

    def _load_now(self, entry: ModelEntry, embedding: bool) -> Llama:
        """Load (in the calling thread) and record the state; a failure is a 503 naming the file and the reason."""
        key = (entry.alias, embedding)
        state = self._state(entry, embedding)
        state.state, state.error = "loading", None
        load = dict(entry.load)
        load.setdefault("flash_attn", None)  # llama-server's -fa auto (Llama's own default is llama-cpp-python's off)
        # the model chooses its JSON whitespace: more extractions right than llama-cpp-python's one optional
        # space (Llama's default), see README "JSON whitespace"
        load.setdefault("json_whitespace", "free")
        if embedding:
            load.update(embedding=True, n_parallel=1)
        template = load.pop("chat_template", None)  # llama-server's --chat-template(-file): set once loaded
        try:
            llm = shared_llama(entry.path, **load)
            if template is not None:
                llm.chat_template = template
        except Exception as exc:  # noqa: BLE001 - whatever stops the load is the model's state, not a crash
            state.state, state.error, state.failed_files = "failed", _reason(exc), _file_stamp(entry)
            raise _unavailable(entry, state.error) from None
        self._loaded[key] = llm
        state.state = "ready"
        return llm

    async def _load(self, entry: ModelEntry, embedding: bool) -> Llama:
        key = (entry.alias, embedding)
        if key in self._loaded:
            return self._loaded[key]
        async with self._locks[entry.alias]:
            if key not in self._loaded:
                state = self._state(entry, embedding)
                if state.state == "failed" and state.failed_files == _file_stamp(entry):
                    raise _unavailable(entry, state.error or "")
                await asyncio.to_thread(self._load_now, entry, embedding)
        return self._loaded[key]

    async def chat_model(self, name: str | None) -> tuple[str, Llama]:
        """The alias and the loaded model for a chat or text completion."""
        entry = self._entry(name)
        return entry.alias, await self._load(entry, embedding=_is_embedding(entry))

    async def embedding_model(self, name: str | None) -> tuple[str, Llama]:
        """The alias and the model loaded for embeddings."""
        entry = self._entry(name)
        return entry.alias, await self._load(entry, embedding=True)


def _is_embedding(entry: ModelEntry) -> bool:
    """Whether the entry itself is loaded for embeddings (its chat requests then use that instance)."""
    return bool(entry.load.get("embedding"))


def _unavailable(entry: ModelEntry, reason: str) -> ApiError:
    return ApiError(
        503, f"the model {entry.alias!r} could not be loaded from {entry.path}: {reason}",
        "server_error", param="model", code="model_not_available",
    )  # fmt: skip
