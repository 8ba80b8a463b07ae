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
``timings``); ``erase`` empties the slot (``n_erased``).  Every slot of
``-np N`` has them: an action waits for a request running in its slot to end
and runs between two decoding steps of the scheduler, while requests in the
other slots go on (:mod:`llama_native.slot_state`).  A request with
``"id_slot": N`` runs in slot N, so a restored conversation continues from its
cached tokens there.  Without ``--slot-save-path`` they answer 501, as
llama-server.

A slot file (our format, not llama-server's) is three parts: the line
``llama-native slot v1``; one line of JSON, ``{"tokens": [...], "model":
"file.gguf"}`` (the token ids the slot holds, and the model file's name); then
llama.cpp's sequence state bytes (``llama_state_seq_get_data`` of that
sequence), to the end of the file.  A file restores into any slot of a server
running the same model with a slot context at least as large.

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

from .. import slot_state
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


def save_slot(llm: Llama, slot: int, path: Path) -> tuple[int, int]:
    """Write the KV cache of ``llm``'s ``slot`` to ``path``: ``(tokens, bytes written)``."""
    state = slot_state.save_slot(llm, slot)
    header = json.dumps({"tokens": list(state.tokens), "model": os.path.basename(llm.model_path)}).encode() + b"\n"
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(MAGIC + header + state.data)
    os.replace(tmp, path)
    return len(state.tokens), len(MAGIC) + len(header) + len(state.data)


def restore_slot(llm: Llama, slot: int, path: Path) -> tuple[int, int]:
    """Load a :func:`save_slot` file into ``llm``'s ``slot``: ``(tokens, bytes read)`` (``ValueError``: why not)."""
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
    slot_state.load_slot(llm, slot, LlamaState(tuple(int(t) for t in tokens), raw[header_end + 1 :]))
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
        parallel = self.n_slots(alias) > 1
        while not parallel and self._running.get(alias, 0):  # as llama-server, the action waits for the slot
            await asyncio.sleep(0.05)  # (on several slots the scheduler waits for that slot alone)
        if action == "erase":
            n = await asyncio.to_thread(slot_state.erase_slot, llm, slot)
            return {"id_slot": slot, "n_erased": n}
        filename = body.get("filename")
        if not isinstance(filename, str) or not valid_filename(filename):
            raise ApiError(400, "Invalid filename", "invalid_request_error", "filename")
        path = self.save_path / filename
        started = time.monotonic()
        if action == "save":
            self.save_path.mkdir(parents=True, exist_ok=True)
            try:
                n, size = await asyncio.to_thread(save_slot, llm, slot, path)
            except (OSError, RuntimeError) as exc:
                raise ApiError(500, f"Unable to save slot: {exc}", "server_error") from None
            ms = (time.monotonic() - started) * 1000
            return {"id_slot": slot, "filename": filename, "n_saved": n, "n_written": size, "timings": {"save_ms": ms}}
        try:
            n, size = await asyncio.to_thread(restore_slot, llm, slot, path)
        except ValueError as exc:  # as llama-server, a failed restore leaves the slot empty
            await asyncio.to_thread(slot_state.erase_slot, llm, slot)
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
