"""The server under bad input, faults and load: it answers each with the right status and keeps answering.

Malformed bodies, unknown fields, invalid schemas and grammars, prompts over
the context, huge bodies, a full queue, clients that leave mid-stream or read
slowly, wrong API keys, unknown models; then 64 concurrent streaming clients
whose outputs must be complete, valid and each its own.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import httpx
import jsonschema
import pytest

from conftest import Served, model_file, start_server, stop_server

CHAT = "/v1/chat/completions"
HELLO = [{"role": "user", "content": "hello"}]


def post(server: Served, path: str, body: object, **kwargs: object) -> httpx.Response:
    headers = {"Authorization": f"Bearer {server.api_key}"} if server.api_key else {}
    return httpx.post(server.url + path, json=body, headers=headers, timeout=60, **kwargs)  # type: ignore[arg-type]


def still_answers(server: Served) -> None:
    r = post(server, CHAT, {"messages": HELLO, "max_tokens": 3})
    assert r.status_code == 200 and r.json()["choices"][0]["message"]["role"] == "assistant"


def test_bad_requests_get_400_naming_the_problem(server: Served) -> None:
    cases = [
        ({"messages": HELLO, "max_tokens": 3, "temprature": 0.5}, "temprature"),
        ({"messages": []}, "messages"),
        ({"messages": HELLO, "max_tokens": -1}, "max_tokens"),
        ({"messages": HELLO, "n": 2, "stream": True}, "n > 1"),
        ({"messages": HELLO, "response_format": {"type": "json_schema", "json_schema": {"schema": {"type": "nope"}}}},
         "nope"),
        ({"messages": HELLO, "grammar": "root ::= oops("}, "grammar"),
        ({"messages": [{"role": "user", "content": "word " * 3000}], "max_tokens": 2}, "context"),
    ]  # fmt: skip
    for body, needle in cases:
        r = post(server, CHAT, body)
        assert r.status_code == 400, (body, r.text)
        error = r.json()["error"]
        assert error["type"] == "invalid_request_error" and needle in error["message"], (needle, error)
    over = post(server, CHAT, {"messages": [{"role": "user", "content": "word " * 3000}], "max_tokens": 2})
    assert over.json()["error"]["code"] == "context_length_exceeded"
    raw = httpx.post(server.url + CHAT, content=b'{"messages": [', headers={"content-type": "application/json"})
    assert raw.status_code == 400 and "error" in raw.json()
    still_answers(server)


def test_a_huge_body_gets_413_and_the_server_goes_on(server: Served) -> None:
    big = {"messages": [{"role": "user", "content": "x" * (9 << 20)}]}
    assert post(server, CHAT, big).status_code == 413
    still_answers(server)


def test_a_client_leaving_mid_stream_frees_its_slot(server: Served) -> None:
    with httpx.stream("POST", server.url + CHAT, json={"messages": HELLO, "max_tokens": 600, "stream": True,
                                                       "logit_bias": {}}, timeout=60) as r:  # fmt: skip
        lines = 0
        for line in r.iter_lines():
            lines += bool(line)
            if lines >= 3:
                break  # leaves with the generation running
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        metrics = httpx.get(server.url + "/metrics").text
        if "llama_native_active_slots 0.0" in metrics:
            break
        time.sleep(0.1)
    assert "llama_native_active_slots 0.0" in metrics
    still_answers(server)


def test_a_slow_reader_gets_the_whole_stream(server: Served) -> None:
    body = {"messages": HELLO, "max_tokens": 20, "stream": True, "seed": 3, "temperature": 0.5}
    parts = []
    with httpx.stream("POST", server.url + CHAT, json=body, timeout=60) as r:
        for line in r.iter_lines():
            time.sleep(0.05)
            if line.startswith("data: ") and line != "data: [DONE]":
                parts.append(json.loads(line[6:])["choices"][0]["delta"].get("content") or "")
    whole = post(server, CHAT, {k: v for k, v in body.items() if k != "stream"}).json()
    assert "".join(parts) == (whole["choices"][0]["message"]["content"] or "")


def test_a_full_queue_gets_503_with_retry_after(tmp_path: Path) -> None:
    served = start_server(tmp_path, "--model", model_file(), "--n-parallel", "1", "--max-queue", "0", "--n-ctx", "512")
    try:

        async def main() -> list[int]:
            async with httpx.AsyncClient(timeout=120) as c:
                body = {"messages": HELLO, "max_tokens": 100000, "n": 8}  # runs to the context's end 8 times
                first = asyncio.create_task(c.post(served.url + CHAT, json=body))
                while "llama_native_active_slots 1.0" not in (await c.get(served.url + "/metrics")).text:
                    await asyncio.sleep(0.02)
                second = await c.post(served.url + CHAT, json={"messages": HELLO, "max_tokens": 2})
                assert second.headers.get("retry-after") == "1", second.headers
                return [(await first).status_code, second.status_code]

        assert asyncio.run(main()) == [200, 503]
        still_answers(served)
    finally:
        stop_server(served)


def test_api_key_and_several_models(tmp_path: Path) -> None:
    config = tmp_path / "models.json"
    config.write_text(json.dumps({"models": [
        {"model": model_file(), "model_alias": "a", "n_ctx": 512},
        {"model": model_file(), "model_alias": "b", "n_ctx": 256, "n_parallel": 2},
    ]}))  # fmt: skip
    served = start_server(tmp_path, "--config", str(config), api_key="s3cret")
    try:
        assert httpx.post(served.url + CHAT, json={"messages": HELLO}).status_code == 401
        wrong = httpx.post(served.url + CHAT, json={"messages": HELLO}, headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "invalid_api_key"
        assert httpx.get(served.url + "/health").status_code == 200  # open
        assert httpx.get(served.url + "/v1/models").status_code == 401
        for alias in ("a", "b"):
            r = post(served, CHAT, {"model": alias, "messages": HELLO, "max_tokens": 2})
            assert r.status_code == 200 and r.json()["model"] == alias
        missing = post(served, CHAT, {"model": "c", "messages": HELLO})
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "model_not_found"
    finally:
        stop_server(served)


def test_64_streaming_clients_get_complete_valid_outputs_of_their_own(server: Served) -> None:
    def schema(i: int) -> dict:
        return {
            "type": "object",
            "properties": {"id": {"const": f"req-{i}"}, "n": {"type": "integer", "minimum": 0, "maximum": 9}},
            "required": ["id", "n"],
            "additionalProperties": False,
        }

    async def one(c: httpx.AsyncClient, i: int) -> tuple[int, str, str]:
        body = {
            "messages": HELLO, "max_tokens": 60, "stream": True, "seed": i, "json_whitespace": "compact",
            "response_format": {"type": "json_schema", "json_schema": {"name": "r", "schema": schema(i)}},
        }  # fmt: skip
        text, finish = "", ""
        async with c.stream("POST", server.url + CHAT, json=body) as r:
            assert r.status_code == 200
            async for line in r.aiter_lines():
                if line.startswith("data: ") and line != "data: [DONE]":
                    choice = json.loads(line[6:])["choices"][0]
                    text += choice["delta"].get("content") or ""
                    finish = choice["finish_reason"] or finish
        return i, text, finish

    async def client_loop(c: httpx.AsyncClient, k: int) -> list[tuple[int, str, str]]:
        return [await one(c, k * 4 + j) for j in range(4)]

    async def main() -> list[tuple[int, str, str]]:
        limits = httpx.Limits(max_connections=64)
        async with httpx.AsyncClient(timeout=300, limits=limits) as c:
            results = await asyncio.gather(*[client_loop(c, k) for k in range(64)])
        return [r for rs in results for r in rs]

    started = time.monotonic()
    results = asyncio.run(main())
    assert time.monotonic() - started < 600
    assert len(results) == 256
    for i, text, finish in results:
        assert finish == "stop", (i, text, finish)
        value = json.loads(text)
        jsonschema.validate(value, schema(i))  # its own id: never another request's output
    still_answers(server)


def test_a_request_past_the_time_limit_gets_504_and_shutdown_lets_running_requests_finish(tmp_path: Path) -> None:
    served = start_server(tmp_path, "--model", model_file(), "--n-parallel", "2", "--n-ctx", "4096",
                          "--request-timeout", "1")  # fmt: skip
    try:
        # 16 choices of 3500 letters each, which the grammar does not let end sooner: many seconds of work
        body = {"messages": HELLO, "max_tokens": 100000, "n": 16, "grammar": "root ::= w{10}\nw ::= [a-z]{350}"}
        started = time.monotonic()
        slow = post(served, CHAT, body)
        assert time.monotonic() - started < 10  # cut at the limit, not run to the end
        assert slow.status_code == 504 and "request_timeout" in slow.json()["error"]["message"]
        still_answers(served)
    finally:
        stop_server(served)

    served = start_server(tmp_path, "--model", model_file(), "--n-parallel", "2", "--n-ctx", "1024")
    try:

        async def main() -> int:
            async with httpx.AsyncClient(timeout=60) as c:
                body = {"messages": HELLO, "max_tokens": 1000, "temperature": 0,
                        "logit_bias": {}, "stream": False}  # fmt: skip
                running = asyncio.create_task(c.post(served.url + CHAT, json=body))
                await asyncio.sleep(0.2)
                served.process.terminate()  # SIGTERM: stop accepting, let the running request finish
                return (await running).status_code

        assert asyncio.run(main()) == 200
        assert served.process.wait(timeout=30) in (0, -15)  # uvicorn re-raises SIGTERM once it has shut down
        with pytest.raises(httpx.ConnectError):
            httpx.get(served.url + "/health", timeout=2)
    finally:
        if served.process.poll() is None:
            stop_server(served)
