"""Slot save/restore/erase on a model served with several slots (``-np 2``), as llama-server.

A conversation held in slot 1 is saved, the server restarts, the file is
restored into slot 1, and the next request routed there (``id_slot: 1``)
continues with the same greedy text, its prefix read from the restored cache
(``timings.cache_n``; ``tokens_cached`` is, as llama-server's, all the
tokens the slot holds afterwards).  A request streaming in slot 0 while slot 1 is saved and
restored again and again comes out as it does alone.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from conftest import Served, model_file, start_server, stop_server

from llama_native import Llama


def _no_end() -> dict[str, float]:
    vocab = Llama(model_file(), vocab_only=True)
    return {str(t): -100.0 for t in vocab.eog_tokens()}


BIAS = [[int(t), False] for t in _no_end()]
FLAGS = ("-c", "1024", "-np", "2")  # two slots of 512 tokens


@pytest.fixture(scope="module")
def slot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("slots2")


@pytest.fixture(scope="module")
def served(slot_dir: Path) -> Iterator[Served]:
    server = start_server(slot_dir, "-m", model_file(), *FLAGS, "--slot-save-path", str(slot_dir))
    yield server
    stop_server(server)


def _complete(server: Served, prompt: str, slot: int, n: int = 8) -> dict:
    body = {"prompt": prompt, "n_predict": n, "temperature": 0, "id_slot": slot, "logit_bias": BIAS}
    r = httpx.post(server.url + "/completion", json=body, timeout=120)
    assert r.status_code == 200, r.text
    return r.json()


def _cached(reply: dict) -> int:
    """Prompt tokens read from the slot's cache instead of decoded."""
    return int(reply["timings"]["cache_n"])


def _action(server: Served, slot: int, action: str, body: dict | None = None) -> httpx.Response:
    return httpx.post(f"{server.url}/slots/{slot}?action={action}", json=body, timeout=120)


def test_slot_one_resumes_after_a_restart_and_erase_empties_it(served: Served, slot_dir: Path) -> None:
    prompt = "The sea and the sky were both very blue that morning, and the"
    first = _complete(served, prompt, 1)
    talk = prompt + first["content"] + " Then"
    _complete(served, talk, 1)
    _complete(served, "Something else entirely, in the other slot.", 0)  # slot 0 holds another text
    saved = _action(served, 1, "save", {"filename": "talk1.bin"})
    assert saved.status_code == 200, saved.text
    out = saved.json()
    assert set(out) == {"id_slot", "filename", "n_saved", "n_written", "timings"} and out["id_slot"] == 1, out
    assert out["n_saved"] > 15 and (slot_dir / "talk1.bin").stat().st_size == out["n_written"], out
    nxt = talk + " more and more"
    expected = _complete(served, nxt, 1)  # the next turn on the server that held the conversation
    assert _cached(expected) > 15, expected

    again = start_server(slot_dir, "-m", model_file(), *FLAGS, "--slot-save-path", str(slot_dir))
    try:
        restored = _action(again, 1, "restore", {"filename": "talk1.bin"})
        assert restored.status_code == 200, restored.text
        assert restored.json()["n_restored"] == out["n_saved"] and restored.json()["n_read"] == out["n_written"]
        assert restored.json()["id_slot"] == 1
        resumed = _complete(again, nxt, 1)
        assert resumed["content"] == expected["content"]
        assert _cached(resumed) == _cached(expected) > 0, (resumed, expected)
        assert resumed["tokens_cached"] == expected["tokens_cached"]
        erased = _action(again, 1, "erase")
        assert erased.status_code == 200 and erased.json() == {"id_slot": 1, "n_erased": erased.json()["n_erased"]}
        assert erased.json()["n_erased"] == resumed["tokens_cached"]
        assert _cached(_complete(again, nxt, 1)) == 0  # nothing left to reuse
        # restored into slot 0 instead, a request routed to slot 0 reuses it
        assert _action(again, 1, "erase").status_code == 200  # (else slot 1 would lend its prefix to slot 0)
        assert _action(again, 0, "restore", {"filename": "talk1.bin"}).status_code == 200
        assert _cached(_complete(again, nxt, 0)) == _cached(expected)
        # with both slots empty a request goes to slot 0 unless id_slot routes it
        for i in (0, 1):
            assert _action(again, i, "erase").status_code == 200
        routed = _complete(again, "hi there", 1)
        held = [_action(again, i, "save", {"filename": f"s{i}.bin"}).json()["n_saved"] for i in (0, 1)]
        assert held == [0, routed["tokens_cached"]] and routed["id_slot"] == 1, (held, routed)
    finally:
        stop_server(again)


def test_a_request_in_slot_0_is_undisturbed_by_actions_on_slot_1(served: Served) -> None:
    prompt = "Once upon a time, in a small village by the river, there lived"
    # 200 tokens: a window wide enough for save/restore actions to overlap the stream on a busy machine
    # (60 once finished before the first action started)
    alone = _complete(served, prompt, 0, n=200)["content"]
    assert _action(served, 0, "erase").status_code == 200  # same start as the run above: an empty slot
    assert _action(served, 1, "save", {"filename": "side.bin"}).status_code == 200
    body = {"prompt": prompt, "n_predict": 200, "temperature": 0, "id_slot": 0, "logit_bias": BIAS, "stream": True}
    pieces: list[str] = []
    started, finished = threading.Event(), threading.Event()

    def stream() -> None:


        with httpx.stream("POST", served.url + "/completion", json=body, timeout=120) as r:
            for line in r.iter_lines():
                if line.startswith("data: "):
                    pieces.append(json.loads(line[6:]).get("content", ""))
                    started.set()
        finished.set()

    thread = threading.Thread(target=stream)
    thread.start()
    assert started.wait(60)
    actions = 0
    while not finished.is_set() and actions < 40:
        assert _action(served, 1, "save", {"filename": "side.bin"}).status_code == 200
        assert _action(served, 1, "restore", {"filename": "side.bin"}).status_code == 200
        actions += 1
    thread.join()
    assert actions >= 1
    assert "".join(pieces) == alone


def test_bad_slot_actions_get_llama_servers_errors(served: Served, slot_dir: Path) -> None:
    (slot_dir / "junk2.bin").write_bytes(b"not a slot")
    cases = [
        (2, "save", {"filename": "x.bin"}, 400, "Invalid slot ID"),
        (-1, "erase", None, 400, "Invalid slot ID"),
        (1, "rename", {"filename": "x.bin"}, 400, "Invalid action"),
        (1, "save", {"filename": "../x.bin"}, 400, "Invalid filename"),
        (1, "restore", {"filename": "a/b.bin"}, 400, "Invalid filename"),
        (1, "save", {}, 400, "Invalid filename"),
        (1, "restore", {"filename": "missing.bin"}, 400, "Unable to restore slot"),
        (1, "restore", {"filename": "junk2.bin"}, 400, "not a slot file"),
    ]
    for slot, action, body, status, needle in cases:
        r = _action(served, slot, action, body)
        assert r.status_code == status and needle in r.json()["error"]["message"], (slot, action, body, r.text)
    assert not (slot_dir.parent / "x.bin").exists()
    assert _complete(served, "hi", 1)["tokens_predicted"] == 8  # the slot still serves
