"""Errors and edges as llama-server and OpenAI answer them, over real HTTP.

A wrong key is a 401 ``authentication_error`` (``Authorization: Bearer`` or
``X-Api-Key``); a streamed request whose prompt overflows the context is a
400 before any byte; ``--host A,B`` binds every address; ``-n`` caps a request
that names no ``max_tokens``; CORS takes llama-server's ``--cors-origins``
forms and an allowed preflight gets 200.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from conftest import CHAT, HELLO, Served, model_file, openai_error, start_server, stop_server

LONG = [{"role": "user", "content": "word " * 400}]  # far over a 256-token context


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """Two keys, -n 3, CORS for localhost origins and one exact origin, a 256-token context."""
    tmp = tmp_path_factory.mktemp("edges")
    server = start_server(tmp, "-m", model_file(), "-c", "256", "-np", "1", "--api-key", "key-one,key-two", "-n", "3",
                          "--cors-origins", "localhost,https://app.example")  # fmt: skip
    server.api_key = "key-one"
    yield server
    stop_server(server)


def _post(server: Served, path: str, body: object, headers: dict[str, str] | None = None) -> httpx.Response:
    headers = {"X-Api-Key": "key-two"} if headers is None else headers
    return httpx.post(server.url + path, json=body, headers=headers, timeout=60)


def test_a_wrong_or_missing_key_is_an_authentication_error(served: Served) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"X-Api-Key": "wrong"}, {"Authorization": "Basic a2V5LW9uZQ=="}):
        error = openai_error(_post(served, CHAT, {"messages": HELLO}, headers), 401)
        assert error["type"] == "authentication_error" and error["code"] == "invalid_api_key", (headers, error)
    for headers in ({"Authorization": "Bearer key-one"}, {"X-Api-Key": "key-two"}, {"authorization": "bearer key-two"},
                    {"Authorization": "key-one"}):  # a bare key, as llama-server takes it
        assert _post(served, CHAT, {"messages": HELLO, "max_tokens": 1}, headers).status_code == 200, headers
    assert httpx.get(served.url + "/health", timeout=30).status_code == 200  # open, as llama-server's


def test_a_streamed_prompt_over_the_context_is_a_400_before_any_byte(served: Served) -> None:
    with httpx.stream("POST", served.url + CHAT, json={"messages": LONG, "stream": True},
                      headers={"X-Api-Key": "key-one"}, timeout=60) as r:  # fmt: skip
        assert r.status_code == 400, r.status_code
        assert r.headers["content-type"].startswith("application/json"), r.headers
        body = r.read()
    error = httpx.Response(400, content=body, headers={"content-type": "application/json"}).json()["error"]
    assert error["code"] == "context_length_exceeded" and "256" in error["message"], error
    completions = _post(served, "/v1/completions", {"prompt": "word " * 400, "stream": True})
    assert openai_error(completions, 400)["code"] == "context_length_exceeded"
    # a stream that fits still streams, and its first chunk is not lost
    with httpx.stream("POST", served.url + CHAT, json={"messages": HELLO, "stream": True, "max_tokens": 2},
                      headers={"X-Api-Key": "key-one"}, timeout=60) as r:  # fmt: skip
        lines = [line for line in r.iter_lines() if line.startswith("data: ")]
    assert r.status_code == 200 and lines[-1] == "data: [DONE]", lines
    assert '"role":"assistant"' in lines[0], lines[0]


def _no_end() -> dict[str, float]:
    """A logit_bias that forbids the model's end-of-generation tokens (so only a cap ends the reply)."""
    from llama_native import Llama

    vocab = Llama(model_file(), vocab_only=True)
    return {str(t): -100.0 for t in vocab.eog_tokens()}


def test_n_predict_caps_a_request_without_max_tokens(served: Served) -> None:
    bias = _no_end()
    capped = _post(served, CHAT, {"messages": HELLO, "logit_bias": bias}).json()
    assert capped["usage"]["completion_tokens"] == 3 and capped["choices"][0]["finish_reason"] == "length", capped
    nulled = _post(served, "/v1/completions", {"prompt": "a b c", "max_tokens": None, "logit_bias": bias}).json()
    assert nulled["usage"]["completion_tokens"] == 3, nulled["usage"]
    explicit = _post(served, CHAT, {"messages": HELLO, "max_tokens": 7, "logit_bias": bias}).json()
    assert explicit["usage"]["completion_tokens"] == 7, explicit["usage"]  # the client's own limit, not -n's


def test_an_allowed_preflight_gets_200_and_others_no_cors_headers(served: Served) -> None:
    asks = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization,content-type"}
    for origin in ("http://localhost:5173", "http://127.0.0.1:8080", "https://app.example"):
        r = httpx.options(served.url + CHAT, headers={"Origin": origin, **asks}, timeout=30)
        assert r.status_code == 200 and r.headers["access-control-allow-origin"] == origin, (origin, r.headers)
    other = httpx.options(served.url + CHAT, headers={"Origin": "https://evil.example", **asks}, timeout=30)
    assert "access-control-allow-origin" not in other.headers, other.headers
    simple = _post(served, CHAT, {"messages": HELLO, "max_tokens": 1},
                   {"X-Api-Key": "key-two", "Origin": "http://localhost:1"})
    assert simple.headers["access-control-allow-origin"] == "http://localhost:1", simple.headers


def test_any_origin_and_cors_off_by_default(tmp_path: Path) -> None:
    asks = {"Origin": "https://anywhere.example", "Access-Control-Request-Method": "POST"}
    star = start_server(tmp_path, "-m", model_file(), "-c", "128", "-np", "1", "--cors-origins", "*")
    try:
        r = httpx.options(star.url + CHAT, headers=asks, timeout=30)
        assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "*", r.headers
    finally:
        stop_server(star)
    plain = start_server(tmp_path, "-m", model_file(), "-c", "128", "-np", "1")
    try:
        r = httpx.options(plain.url + CHAT, headers=asks, timeout=30)
        assert "access-control-allow-origin" not in r.headers, r.headers
    finally:
        stop_server(plain)


def _has_ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _has_ipv6_loopback(), reason="this machine has no IPv6 loopback")
def test_every_host_given_is_bound(tmp_path: Path) -> None:
    server = start_server(tmp_path, "-m", model_file(), "-c", "128", "-np", "1", "--host", "127.0.0.1,::1")
    try:
        port = server.url.rsplit(":", 1)[1]
        for url in (f"http://127.0.0.1:{port}", f"http://[::1]:{port}"):
            r = httpx.post(url + CHAT, json={"messages": HELLO, "max_tokens": 1}, timeout=60)
            assert r.status_code == 200, (url, r.text)
    finally:
        stop_server(server)


def test_a_host_that_cannot_be_bound_is_named(tmp_path: Path) -> None:
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "llama_native.server", "-m", model_file(), "-c", "128",
                             "--host", "127.0.0.1,192.0.2.1"], capture_output=True, text=True, timeout=60,
                            cwd=tmp_path)  # fmt: skip
    assert result.returncode != 0 and "cannot bind 192.0.2.1" in result.stderr, result.stderr[-800:]
