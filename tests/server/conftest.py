"""A real ``llama-native serve`` process on loopback, started once per module that asks for it."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from helpers import ENV_MODEL
from served import Served, start_server, stop_server  # noqa: F401  (the server tests import them from here)

from llama_native.testing import synthetic_model_path


CHAT = "/v1/chat/completions"
HELLO = [{"role": "user", "content": "hello"}]


def model_file() -> str:
    return str(ENV_MODEL or synthetic_model_path())


def post(server: Served, path: str, body: object, **kwargs: object) -> httpx.Response:
    headers = {"Authorization": f"Bearer {server.api_key}"} if server.api_key else {}
    return httpx.post(server.url + path, json=body, headers=headers, timeout=60, **kwargs)  # type: ignore[arg-type]


def still_answers(server: Served, model: str | None = None) -> None:
    """A normal chat request succeeds (after a fault: the server goes on)."""
    body: dict = {"messages": HELLO, "max_tokens": 3, **({"model": model} if model else {})}
    r = post(server, CHAT, body)
    assert r.status_code == 200 and r.json()["choices"][0]["message"]["role"] == "assistant", r.text


def openai_error(r: httpx.Response, status: int) -> dict:
    """The response's OpenAI error object, after checking its status and shape (all four keys, JSON)."""
    assert r.status_code == status, (r.status_code, r.text)
    assert r.headers["content-type"].startswith("application/json"), r.headers
    error = r.json()["error"]
    assert set(error) == {"message", "type", "param", "code"} and error["message"], error
    return error


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """One model, 4 slots, a queue of 64."""
    tmp = tmp_path_factory.mktemp("server")
    served = start_server(tmp, "--model", model_file(), "--model-alias", "local", "--n-ctx", "1024",
                          "--n-parallel", "4", "--max-queue", "64")  # fmt: skip
    yield served
    stop_server(served)
