"""llama-server's slots: ``GET /slots`` and ``POST /slots/{id}?action=save|restore|erase``.

``GET /slots`` lists a model's slots (its ``n_parallel`` sequences) in
llama-server's shape: ``id``, ``n_ctx``, ``speculative``, ``is_processing``
(``?model=ALIAS`` picks the model; the first by default).  Slots are counted,
not tracked one by one: ``is_processing`` is true for as many slots as the
model has requests running.

With ``--slot-save-path DIR``, a slot's KV cache goes to a file in DIR and back,
so a conversation resumes after a restart without decoding its prompt again:
``save`` and ``restore`` take ``{"filename": "name.bin"}`` (a plain file name)
and answer as llama-server (``n_saved``/``n_written``, ``n_restored``/``n_read``,
``timings``); ``erase`` empties the slot (``n_erased``).  This needs a model
served with one slot (``-np 1``: the KV cache of one sequence, as
:meth:`llama_native.Llama.save_state`); on more slots the actions answer 501.
Without ``--slot-save-path`` they answer 501, as llama-server.

Example::

    >>> from llama_native.server.slots import valid_filename
    >>> valid_filename("chat-1.bin"), valid_filename("../etc/passwd"), valid_filename("")
    (True, False, False)
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from ..cache import LlamaState
from ..llama import Llama
from .errors import ApiError
from .registry import ModelRegistry

#: a slot file: this line, a JSON line (tokens, model), then llama.cpp's state bytes
MAGIC = b"llama-native slot v1\n"


def valid_filename(name: str) -> bool:
    """A plain file name (no folder, no ``..``, no control characters), as llama-server's ``fs_validate_filename``."""
    if not name or len(name) > 255 or name in (".", "..") or name.startswith(" ") or name.endswith((" ", ".")):
        return False
    return not any(c in name for c in '/\\:*?"<>|') and all(ord(c) >= 32 for c in name)


def _not_supported(message: str) -> ApiError:
    return ApiError(501, message, "not_supported_error", code="not_supported")


def save_slot(llm: Llama, path: Path) -> tuple[int, int]:
    """Write the KV cache of ``llm``'s sequence to ``path``: ``(tokens, bytes written)``."""
    state = llm.save_state()
    header = json.dumps({"tokens": list(state.tokens), "model": os.path.basename(llm.model_path)}).encode() + b"\n"
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(MAGIC + header + state.data)
    os.replace(tmp, path)
    return len(state.tokens), len(MAGIC) + len(header) + len(state.data)


def restore_slot(llm: Llama, path: Path) -> tuple[int, int]:
    """Load a :func:`save_slot` file into ``llm``'s sequence: ``(tokens, bytes read)`` (``ValueError``: why not)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ValueError(f"cannot read {path.name}: {exc.strerror or exc}") from None
    if not raw.startswith(MAGIC) or b"\n" not in raw[len(MAGIC) :]:
        raise ValueError(f"{path.name} is not a slot file saved by llama-native serve")
    header_end = raw.index(b"\n", len(MAGIC))
    try:
        tokens = json.loads(raw[len(MAGIC) : header_end])["tokens"]
    except (ValueError, KeyError, TypeError):
        raise ValueError(f"{path.name}: its header is damaged") from None
    if len(tokens) > llm.n_ctx():
        raise ValueError(f"the saved slot holds {len(tokens)} tokens, more than this slot's context of {llm.n_ctx()}")
    llm.load_state(LlamaState(tuple(int(t) for t in tokens), raw[header_end + 1 :]))
    return len(tokens), len(raw)


class SlotBoard:
    """Each model's running requests (``enter``/``leave`` around each) and the slot routes' work."""

    def __init__(self, registry: ModelRegistry, save_path: str | None) -> None:
        self.registry = registry
        self.save_path = Path(save_path) if save_path else None
        self._running: dict[str, int] = {}

    def enter(self, alias: str) -> None:
        """A request of ``alias`` starts."""
        self._running[alias] = self._running.get(alias, 0) + 1

    def leave(self, alias: str) -> None:
        """A request of ``alias`` ended."""
        self._running[alias] = max(0, self._running.get(alias, 0) - 1)

    def n_slots(self, alias: str) -> int:
        """The model's slots (its ``n_parallel``)."""
        return int(self.registry.entries[alias].load.get("n_parallel", 1))

    async def listing(self, model: str | None) -> list[dict[str, Any]]:
        """``GET /slots``: llama-server's objects, one a slot."""
        alias, llm = await self.registry.chat_model(model)
        busy = self._running.get(alias, 0)
        return [
            {"id": i, "n_ctx": llm.n_ctx(), "speculative": False, "is_processing": i < busy}
            for i in range(self.n_slots(alias))
        ]

    async def action(self, slot: int, action: str, body: dict[str, Any], model: str | None) -> dict[str, Any]:
        """``POST /slots/{slot}?action=...``: save, restore or erase (llama-server's answers and errors)."""
        if self.save_path is None:
            raise _not_supported("This server does not support slots action. Start it with `--slot-save-path`")
        alias, llm = await self.registry.chat_model(model)
        if not 0 <= slot < self.n_slots(alias):
            raise ApiError(400, "Invalid slot ID", "invalid_request_error", "id_slot")
        if action not in ("save", "restore", "erase"):
            raise ApiError(400, "Invalid action", "invalid_request_error", "action")
        if self.n_slots(alias) != 1:
            raise _not_supported(
                f"slot {action} needs the model served with one slot (-np 1); {alias!r} has {self.n_slots(alias)}"
            )
        while self._running.get(alias, 0):  # as llama-server, the action waits for the slot to be idle
            await asyncio.sleep(0.05)
        if action == "erase":
            n = len(llm.cached_tokens())
            await asyncio.to_thread(llm.reset)
            return {"id_slot": slot, "n_erased": n}
        filename = body.get("filename")
        if not isinstance(filename, str) or not valid_filename(filename):
            raise ApiError(400, "Invalid filename", "invalid_request_error", "filename")
        path = self.save_path / filename
        started = time.monotonic()
        if action == "save":
            self.save_path.mkdir(parents=True, exist_ok=True)
            n, size = await asyncio.to_thread(save_slot, llm, path)
            ms = (time.monotonic() - started) * 1000
            return {"id_slot": slot, "filename": filename, "n_saved": n, "n_written": size, "timings": {"save_ms": ms}}
        try:
            n, size = await asyncio.to_thread(restore_slot, llm, path)
        except ValueError as exc:
            await asyncio.to_thread(llm.reset)
            raise ApiError(400, f"Unable to restore slot: {exc}", "invalid_request_error", "filename") from None
        ms = (time.monotonic() - started) * 1000
        return {"id_slot": slot, "filename": filename, "n_restored": n, "n_read": size, "timings": {"restore_ms": ms}}


def install_slot_routes(app: FastAPI, board: SlotBoard) -> None:
    """``GET /slots`` and ``POST /slots/{id_slot}`` on ``app``."""

    @app.get("/slots")
    async def slots(model: str | None = None) -> JSONResponse:
        return JSONResponse(await board.listing(model))

    @app.post("/slots/{id_slot}")
    async def slot_action(
        id_slot: int, action: str = "", model: str | None = None, body: dict[str, Any] | None = None
    ) -> JSONResponse:
        return JSONResponse(await board.action(id_slot, action, body or {}, model))
