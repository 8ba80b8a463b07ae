"""Faults a user meets: each gives a named error (or warning) and the process serves the next request (issue 31).

The server's faults (a model that cannot load, 10 MB of JSON, unknown roles)
are in ``tests/server``; a llama-server killed mid-stream in
``tests/remote/test_remote_fleet.py``.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import sqlite3
from pathlib import Path

import pytest

from llama_native import Llama, LlamaDiskCache, ModelLoadError

PROMPT = "The list of cities: Paris, London,"


def _next_request_works(path: Path) -> None:
    out = Llama(str(path), n_ctx=128, seed=1).create_completion(PROMPT, max_tokens=4, temperature=0)
    assert out["usage"]["completion_tokens"] >= 1


@pytest.mark.parametrize("damage", ["truncated", "corrupt header", "zeroed tensors table"])
def test_a_corrupt_gguf_is_a_named_error_and_the_next_load_works(model_path: Path, tmp_path: Path, damage: str) -> None:
    data = bytearray(model_path.read_bytes())
    if damage == "truncated":
        data = data[: len(data) // 3]
    elif damage == "corrupt header":
        data[4:24] = b"\xff" * 20  # version and counts
    else:
        data[24:4096] = bytes(4096 - 24)
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(bytes(data))
    with pytest.raises(ModelLoadError, match="bad.gguf"):
        Llama(str(bad), n_ctx=64)
    _next_request_works(model_path)


def test_a_model_deleted_after_load_keeps_serving_and_a_new_load_names_it(model_path: Path, tmp_path: Path) -> None:
    copy = tmp_path / "vanishing.gguf"
    shutil.copyfile(model_path, copy)
    llm = Llama(str(copy), n_ctx=128, seed=1)
    before = llm.create_completion(PROMPT, max_tokens=4, temperature=0)["choices"][0]["text"]
    os.remove(copy)
    llm.reset()
    after = llm.create_completion(PROMPT, max_tokens=4, temperature=0)["choices"][0]["text"]
    assert after == before  # the loaded weights stay (mapped or read); nothing re-reads the file
    with pytest.raises(ModelLoadError, match="model file not found: .*vanishing.gguf"):
        Llama(str(copy), n_ctx=64)


def _failing(exc: BaseException):  # type: ignore[no-untyped-def]
    def fail(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise exc

    return fail


@pytest.mark.parametrize(
    "exc",
    [OSError(errno.ENOSPC, "No space left on device"), sqlite3.OperationalError("database or disk is full")],
    ids=["ENOSPC", "sqlite full"],
)
def test_a_full_disk_under_the_disk_cache_warns_and_the_answer_is_whole(
    model_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exc: BaseException
) -> None:
    llm = Llama(str(model_path), n_ctx=128, seed=1)
    cache = LlamaDiskCache(str(tmp_path / "cache"), capacity_bytes=64 << 20)
    llm.set_cache(cache)
    expected = Llama(str(model_path), n_ctx=128, seed=1).create_completion(PROMPT, max_tokens=6, temperature=0)
    monkeypatch.setattr(cache._cache, "set", _failing(exc))  # the write fails as on a full disk
    with pytest.warns(RuntimeWarning, match="LlamaDiskCache could not store a state in .*" + re.escape(str(exc))):
        out = llm.create_completion(PROMPT, max_tokens=6, temperature=0)
    assert out["choices"][0]["text"] == expected["choices"][0]["text"]
    assert out["choices"][0]["finish_reason"] == expected["choices"][0]["finish_reason"]
    with pytest.warns(RuntimeWarning, match="could not store"):
        streamed = "".join(c["choices"][0]["text"] for c in llm.create_completion(PROMPT, max_tokens=6, temperature=0,
                                                                                  stream=True))
    assert streamed == expected["choices"][0]["text"]
    monkeypatch.undo()  # space again: the next request is cached
    llm.create_completion(PROMPT, max_tokens=6, temperature=0)
    assert len(cache) == 1


def test_a_full_small_filesystem_under_the_disk_cache(model_path: Path, tmp_path: Path) -> None:
    """A real full filesystem where the machine lets us mount one (root with a tmpfs); else the mocked write above."""
    mount = tmp_path / "small"
    mount.mkdir()
    if os.geteuid() != 0 or os.system(f"mount -t tmpfs -o size=256k tmpfs {mount} 2>/dev/null") != 0:
        pytest.skip("cannot mount a small tmpfs here (needs root and mount rights); the mocked ENOSPC test covers it")
    try:
        llm = Llama(str(model_path), n_ctx=512, seed=1)
        cache = LlamaDiskCache(str(mount / "cache"), capacity_bytes=64 << 20)
        llm.set_cache(cache)
        filler = mount / "filler"
        try:  # fill the filesystem: the cache's next write finds no space
            with open(filler, "wb", buffering=0) as handle:
                while True:
                    handle.write(b"\0" * 4096)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
        with pytest.warns(RuntimeWarning, match="LlamaDiskCache could not"):
            out = llm.create_completion(PROMPT * 8, max_tokens=4, temperature=0)
        assert out["usage"]["completion_tokens"] >= 1
        assert llm.create_completion(PROMPT, max_tokens=4, temperature=0)["usage"]["completion_tokens"] >= 1
        cache._cache.close()
    finally:
        os.system(f"umount -l {mount}")
