"""llama-server's slots: ``GET /slots``, and a slot's KV cache saved to disk and restored after a restart.

A conversation saved with ``POST /slots/0?action=save`` resumes on a fresh
server (``action=restore``) with the same greedy continuation, its earlier
turns read from the restored cache (``cached_tokens``) instead of decoded again.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from conftest import CHAT, Served, model_file, start_server, stop_server

from llama_native import Llama


def _no_end() -> dict[str, float]:
    vocab = Llama(model_file(), vocab_only=True)
    return {str(t): -100.0 for t in vocab.eog_tokens()}


BIAS = _no_end()


def _slot_server(tmp: Path, *flags: str) -> Served:
    return start_server(tmp, "-m", model_file(), "-c", "512", *flags)


@pytest.fixture(scope="module")
def slot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("slots")


@pytest.fixture(scope="module")
def served(slot_dir: Path) -> Iterator[Served]:
    """One slot of 512 tokens, slot files in ``slot_dir``."""
    server = _slot_server(slot_dir, "-np", "1", "--slot-save-path", str(slot_dir))
    yield server
    stop_server(server)


def _chat(server: Served, messages: list[dict]) -> dict:
    body = {"messages": messages, "max_tokens": 8, "temperature": 0, "logit_bias": BIAS}
    r = httpx.post(server.url + CHAT, json=body, timeout=60)
    assert r.status_code == 200, r.text
    return r.json()


def _action(server: Served, slot: int, action: str, body: dict | None = None) -> httpx.Response:
    return httpx.post(f"{server.url}/slots/{slot}?action={action}", json=body, timeout=60)


def test_get_slots_has_llama_servers_shape_and_shows_a_running_request(served: Served) -> None:
    slots = httpx.get(served.url + "/slots", timeout=30).json()
    assert slots == [{"id": 0, "n_ctx": 512, "speculative": False, "is_processing": False}], slots
    body = {"messages": [{"role": "user", "content": "go on"}], "max_tokens": 300, "stream": True, "logit_bias": BIAS}
    started = threading.Event()

    def stream() -> None:
        with httpx.stream("POST", served.url + CHAT, json=body, timeout=120) as r:
            for _ in r.iter_lines():
                started.set()

    thread = threading.Thread(target=stream)
    thread.start()
    assert started.wait(60)
    seen = httpx.get(served.url + "/slots", timeout=30).json()[0]["is_processing"]
    thread.join()
    assert seen is True
    assert httpx.get(served.url + "/slots", timeout=30).json()[0]["is_processing"] is False


def test_a_conversation_resumes_after_a_restart(served: Served, slot_dir: Path) -> None:
    first = [{"role": "user", "content": "Tell me about the sea and the sky."}]
    reply = _chat(served, first)["choices"][0]["message"]["content"]
    second = [*first, {"role": "assistant", "content": reply}, {"role": "user", "content": "and then?"}]
    reply2 = _chat(served, second)["choices"][0]["message"]["content"]
    saved = _action(served, 0, "save", {"filename": "talk.bin"})
    assert saved.status_code == 200, saved.text
    out = saved.json()
    assert set(out) == {"id_slot", "filename", "n_saved", "n_written", "timings"} and out["n_saved"] > 20, out
    assert (slot_dir / "talk.bin").stat().st_size == out["n_written"]
    third = [*second, {"role": "assistant", "content": reply2}, {"role": "user", "content": "more"}]
    expected = _chat(served, third)  # the next turn on the server that held the conversation

    again = _slot_server(slot_dir, "-np", "1", "--slot-save-path", str(slot_dir))
    try:
        restored = _action(again, 0, "restore", {"filename": "talk.bin"})
        assert restored.status_code == 200, restored.text
        assert restored.json()["n_restored"] == out["n_saved"] and restored.json()["n_read"] == out["n_written"]
        resumed = _chat(again, third)
        assert resumed["choices"][0]["message"]["content"] == expected["choices"][0]["message"]["content"]
        cached = resumed["usage"]["prompt_tokens_details"]["cached_tokens"]
        assert cached == expected["usage"]["prompt_tokens_details"]["cached_tokens"] and cached > 20, resumed["usage"]
        erased = _action(again, 0, "erase")
        assert erased.status_code == 200 and erased.json()["id_slot"] == 0 and erased.json()["n_erased"] > cached
        assert _chat(again, third)["usage"]["prompt_tokens_details"]["cached_tokens"] == 0  # nothing left to reuse
    finally:
        stop_server(again)


def test_slot_actions_are_refused_as_llama_server_refuses_them(served: Served, slot_dir: Path) -> None:
    cases = [
        (5, "save", {"filename": "x.bin"}, 400, "Invalid slot ID"),
        (0, "rename", {"filename": "x.bin"}, 400, "Invalid action"),
        (0, "save", {"filename": "../x.bin"}, 400, "Invalid filename"),
        (0, "save", {}, 400, "Invalid filename"),
        (0, "restore", {"filename": "missing.bin"}, 400, "Unable to restore slot"),
    ]
    (slot_dir / "junk.bin").write_bytes(b"not a slot")
    cases.append((0, "restore", {"filename": "junk.bin"}, 400, "not a slot file"))
    for slot, action, body, status, needle in cases:
        r = _action(served, slot, action, body)
        assert r.status_code == status and needle in r.json()["error"]["message"], (action, body, r.text)
    assert not (slot_dir.parent / "x.bin").exists()
    assert _chat(served, [{"role": "user", "content": "hi"}])["usage"]["completion_tokens"] == 8


def test_without_a_save_path_actions_answer_501_and_several_slots_have_them(tmp_path: Path) -> None:
    plain = _slot_server(tmp_path, "-np", "1")
    try:
        r = _action(plain, 0, "save", {"filename": "a.bin"})
        assert r.status_code == 501 and "--slot-save-path" in r.json()["error"]["message"], r.text
    finally:
        stop_server(plain)
    wide = _slot_server(tmp_path, "-np", "2", "--slot-save-path", str(tmp_path))
    try:
        assert [s["id"] for s in httpx.get(wide.url + "/slots", timeout=30).json()] == [0, 1]
        r = _action(wide, 1, "save", {"filename": "a.bin"})  # every slot of -np N (test_server_slots_parallel.py)
        assert r.status_code == 200 and r.json()["id_slot"] == 1, r.text
    finally:
        stop_server(wide)
