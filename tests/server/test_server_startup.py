"""A server that cannot serve does not start; with ``--lazy``, /health says which model failed and why.

``llama-native serve`` loads every model before it binds, and exits non-zero
naming the file and the reason when one is missing, not a GGUF, or truncated
(a real model file written here, then cut short).  ``--lazy`` loads on first
use: /health reports each model's state, a model that failed answers 503 with
OpenAI's error object (and loads once its file is fixed), and the others serve.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from conftest import CHAT, HELLO, model_file, openai_error, post, start_server, still_answers, stop_server

from llama_native.llama_cpp_tools import free_port
from llama_native.testing import ModelSpec, write_model


def cut(src: Path, dst: Path, keep: int) -> Path:
    """A copy of ``src`` holding its first ``keep`` bytes (a download or copy that stopped short)."""
    dst.write_bytes(src.read_bytes()[:keep])
    return dst


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real (random-weight) model file, written for these tests."""
    return write_model(tmp_path_factory.mktemp("model") / "model.gguf", ModelSpec())


def serve_exits(tmp: Path, *flags: str) -> tuple[int, str, int]:
    """Run ``llama-native serve`` with ``flags`` to its end: exit status, stderr, and the port it was given."""
    port = free_port()
    done = subprocess.run(
        [sys.executable, "-m", "llama_native", "serve", "--port", str(port), *flags],
        cwd=tmp, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    return done.returncode, done.stderr, port


@pytest.mark.parametrize(
    "kind, reason",
    [
        ("missing", "model file not found"),
        ("truncated in its tensors", "data is not within the file bounds, model is corrupted or incomplete"),
        ("truncated in its header", "failed to load model"),
        ("empty", "is not a GGUF model file: it is empty"),
        ("not a GGUF", "is not a GGUF model file: it starts with b'{\"mo'"),
    ],
)
def test_serve_exits_naming_the_file_and_the_reason(tmp_path: Path, written: Path, kind: str, reason: str) -> None:
    path = tmp_path / "broken.gguf"
    if kind == "truncated in its tensors":
        cut(written, path, written.stat().st_size // 2)
    elif kind == "truncated in its header":
        cut(written, path, 64)
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "not a GGUF":
        path.write_text(json.dumps({"models": []}))
    rc, stderr, port = serve_exits(tmp_path, "--model", str(path))
    assert rc == 1, stderr
    assert f"model 'broken' ({path})" in stderr and reason in stderr, stderr
    assert "not started" in stderr and "Uvicorn running" not in stderr, stderr
    with pytest.raises(httpx.ConnectError):  # it never bound
        httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)


def test_a_config_names_every_bad_file_before_loading_any(tmp_path: Path, written: Path) -> None:
    config = tmp_path / "models.json"
    config.write_text(json.dumps({"models": [
        {"model": str(written), "model_alias": "good"},
        {"model": str(tmp_path / "gone.gguf"), "model_alias": "gone"},
        {"model": str(config), "model_alias": "json"},
    ]}))  # fmt: skip
    rc, stderr, _ = serve_exits(tmp_path, "--config", str(config))
    assert rc == 1, stderr
    assert f"model 'gone' ({tmp_path / 'gone.gguf'}): model file not found" in stderr, stderr
    assert f"model 'json' ({config}): '{config}' is not a GGUF model file" in stderr, stderr
    assert "'good'" not in stderr.split("not started")[1], stderr  # only the bad ones are named


def test_a_truncated_model_in_a_config_stops_the_server_too(tmp_path: Path, written: Path) -> None:
    config = tmp_path / "models.json"
    short = cut(written, tmp_path / "short.gguf", written.stat().st_size - 1)  # one byte missing
    config.write_text(json.dumps({"models": [{"model": str(written), "model_alias": "good"},
                                             {"model": str(short), "model_alias": "short"}]}))  # fmt: skip
    rc, stderr, _ = serve_exits(tmp_path, "--config", str(config))
    assert rc == 1 and f"model 'short' ({short}): failed to load model" in stderr, stderr


def test_every_model_is_loaded_before_the_server_answers(tmp_path: Path, written: Path) -> None:
    config = tmp_path / "models.json"
    config.write_text(json.dumps({"models": [
        {"model": str(written), "model_alias": "a", "n_ctx": 256, "n_parallel": 1},
        {"model": model_file(), "model_alias": "e", "n_ctx": 256, "embedding": True},
    ]}))  # fmt: skip
    served = start_server(tmp_path, "--config", str(config))  # returns at /health's first answer
    try:
        health = httpx.get(served.url + "/health").json()
        assert health["status"] == "ok" and health["models"] == ["a", "e"]
        assert health["model_states"] == {"a": {"state": "ready"}, "e": {"state": "ready"}}
        still_answers(served, "a")
    finally:
        stop_server(served)


def test_lazy_reports_each_models_state_and_a_failed_one_answers_503(tmp_path: Path, written: Path) -> None:
    short = cut(written, tmp_path / "short.gguf", written.stat().st_size // 2)
    late = tmp_path / "late.gguf"  # not there yet: fails, then loads once written
    config = tmp_path / "models.json"
    config.write_text(json.dumps({"lazy": True, "models": [
        {"model": str(written), "model_alias": "ok", "n_ctx": 256, "n_parallel": 1},
        {"model": str(short), "model_alias": "short"},
        {"model": str(late), "model_alias": "late", "n_ctx": 256, "n_parallel": 1},
    ]}))  # fmt: skip
    served = start_server(tmp_path, "--config", str(config))
    try:

        def states() -> dict:
            health = httpx.get(served.url + "/health").json()
            assert health["status"] == "ok" and health["models"] == ["ok", "short", "late"]
            return health["model_states"]

        assert states() == {alias: {"state": "not_loaded"} for alias in ("ok", "short", "late")}
        for _ in range(2):  # the failure is kept (not loaded again per request) while the file is unchanged
            error = openai_error(post(served, CHAT, {"model": "short", "messages": HELLO}), 503)
            assert error["type"] == "server_error" and error["code"] == "model_not_available", error
            assert error["param"] == "model" and str(short) in error["message"], error
            assert "data is not within the file bounds" in error["message"], error
            still_answers(served, "ok")
        short_state = states()["short"]
        assert short_state["state"] == "failed" and "not within the file bounds" in short_state["error"]
        assert states()["ok"] == {"state": "ready"}
        error = openai_error(post(served, "/v1/embeddings", {"model": "short", "input": "hi"}), 503)
        assert "not within the file bounds" in error["message"]
        assert states()["short"]["embeddings"]["state"] == "failed"

        error = openai_error(post(served, CHAT, {"model": "late", "messages": HELLO}), 503)
        assert f"model file not found: '{late}'" in error["message"], error
        assert states()["late"] == {"state": "failed", "error": f"model file not found: '{late}'"}
        late.write_bytes(written.read_bytes())  # the file arrives: the next request loads it
        still_answers(served, "late")
        assert states()["late"] == {"state": "ready"}
        still_answers(served, "ok")
    finally:
        stop_server(served)


def test_lazy_is_a_flag_and_an_environment_variable(tmp_path: Path) -> None:
    missing = str(tmp_path / "missing.gguf")
    for flags, env in [(("--lazy",), {}), ((), {"LLAMA_NATIVE_LAZY": "1"})]:
        served = start_server(tmp_path, "--model", missing, *flags, env=env)
        try:
            assert httpx.get(served.url + "/health").json()["model_states"] == {"missing": {"state": "not_loaded"}}
            error = openai_error(post(served, CHAT, {"messages": HELLO}), 503)
            assert "model file not found" in error["message"]
            assert httpx.get(served.url + "/health").status_code == 200  # the process still answers
        finally:
            stop_server(served)
