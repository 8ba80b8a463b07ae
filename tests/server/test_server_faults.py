"""The server under bad input, faults and load: it answers each with the right status and keeps answering.

Malformed bodies, unknown fields, roles outside OpenAI's, invalid schemas and
grammars, prompts over the context, huge bodies, unknown routes, an endpoint's
own bug (500), a full queue, clients that leave mid-stream or read
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

from conftest import CHAT, HELLO, Served, model_file, openai_error, post, start_server, still_answers, stop_server


def test_bad_requests_get_400_naming_the_problem(server: Served) -> None:
    cases = [
        ({"messages": HELLO, "max_tokens": 3, "temprature": 0.5}, "temprature"),
        ({"messages": []}, "messages"),
        ({"messages": HELLO, "max_tokens": -1}, "max_tokens"),
        ({"messages": HELLO, "n": 2, "stream": True}, "n > 1"),
        ({"messages": HELLO, "response_format": {"type": "json_schema", "json_schema": {"schema": {"type": "nope"}}}},
         "nope"),
        ({"messages": HELLO, "grammar": "root ::= oops("}, "grammar"),
        ({"messages": HELLO, "max_tokens": 2, "top_n_sigma": 0}, "top_n_sigma"),
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


def test_sampling_extensions_reach_the_model(server: Served) -> None:
    # top_n_sigma, an extension field the request bodies take from SamplingOptions: a tiny value is greedy
    body = {"messages": HELLO, "max_tokens": 8, "seed": 1}
    greedy = post(server, CHAT, {**body, "temperature": 0})
    tiny = post(server, CHAT, {**body, "temperature": 2.0, "top_k": 0, "top_n_sigma": 1e-6})
    assert tiny.status_code == 200, tiny.text
    assert tiny.json()["choices"][0]["message"] == greedy.json()["choices"][0]["message"]


def test_a_role_outside_openais_gets_400_naming_it(server: Served) -> None:
    for messages, needle in [
        ([{"role": "wizard", "content": "hi"}], "messages[0].role is 'wizard'"),
        ([{"role": "system", "content": "be brief"}, {"role": "User", "content": "hi"}], "messages[1].role is 'User'"),
        ([{"role": 5, "content": "hi"}], "messages[0].role is 5"),
        ([{"content": "hi"}], "messages[0] has no 'role'"),
    ]:
        error = openai_error(post(server, CHAT, {"messages": messages, "max_tokens": 2}), 400)
        assert error["type"] == "invalid_request_error" and needle in error["message"], error
        assert "system, developer, user, assistant, tool, function" in error["message"]
        still_answers(server)
    conversation = [{"role": "developer", "content": "be brief"}, {"role": "user", "content": "hi"},
                    {"role": "assistant", "content": "hello"}, {"role": "user", "content": "bye"}]  # fmt: skip
    assert post(server, CHAT, {"messages": conversation, "max_tokens": 2}).status_code == 200


def test_a_10_mb_body_gets_413_and_the_server_goes_on(server: Served) -> None:
    body = json.dumps({"messages": [{"role": "user", "content": "x" * 10_000_000}]}).encode()
    chunked = (body[i : i + (1 << 16)] for i in range(0, len(body), 1 << 16))  # no Content-Length up front
    for content in (body, chunked):
        started = time.monotonic()
        r = httpx.post(server.url + CHAT, content=content, headers={"content-type": "application/json"}, timeout=60)
        error = openai_error(r, 413)
        assert error["code"] == "request_too_large" and "8388608 bytes (max_body_bytes)" in error["message"], error
        assert time.monotonic() - started < 10
        still_answers(server)


def test_the_body_limit_is_configurable(tmp_path: Path) -> None:
    served = start_server(tmp_path, "--model", model_file(), "--n-ctx", "256", "--n-parallel", "1",
                          "--max-body-bytes", "2000")  # fmt: skip
    try:
        error = openai_error(post(served, CHAT, {"messages": [{"role": "user", "content": "x" * 3000}]}), 413)
        assert "larger than 2000 bytes" in error["message"], error
        still_answers(served)  # a small body still passes
    finally:
        stop_server(served)


def test_every_error_is_openai_error_json_and_the_server_goes_on(server: Served) -> None:
    as_json = {"content-type": "application/json"}
    nested = b'{"messages": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"  # deeper than Python's JSON parser goes
    cases: list[tuple[str, str, dict, int, str]] = [
        ("GET", "/no/such/route", {}, 404, "Not Found: GET /no/such/route"),
        ("GET", CHAT, {}, 405, "Method Not Allowed: GET " + CHAT),
        ("DELETE", "/v1/models", {}, 405, "Method Not Allowed"),
        ("POST", CHAT, {"content": b'{"messages": [', "headers": as_json}, 400, "not valid JSON"),
        ("POST", CHAT, {"content": b'\xff\xfe{"a": 1}', "headers": as_json}, 400, "not valid JSON"),
        ("POST", CHAT, {"content": nested, "headers": as_json}, 400, "RecursionError"),
        ("POST", CHAT, {"content": b"[1, 2]", "headers": as_json}, 400, "body"),
        ("POST", CHAT, {"json": {"messages": "hello"}}, 400, "messages"),
        ("POST", "/v1/embeddings", {"json": {"input": [[10**9]]}}, 400, "outside the vocabulary"),
        ("POST", "/v1/completions", {"json": {"prompt": [10**9], "max_tokens": 2}}, 400, "outside the vocabulary"),
    ]
    for method, path, kwargs, status, needle in cases:
        r = httpx.request(method, server.url + path, timeout=60, **kwargs)
        error = openai_error(r, status)
        assert needle in error["message"], (path, needle, error)
        assert error["type"] == "invalid_request_error", error
        still_answers(server)


def test_an_unhandled_exception_is_a_500_with_openai_error_json() -> None:
    """Starlette's plain-text 500 never reaches a client: a bug in an endpoint (injected here) gets the JSON."""
    import threading

    import uvicorn

    from llama_native.llama_cpp_tools import free_port
    from llama_native.server import ModelEntry, ServerSettings, create_app

    app = create_app(ServerSettings(models=[ModelEntry("local", model_file(), {"n_ctx": 256, "n_parallel": 1})]))

    @app.post("/v1/broken")
    async def broken() -> None:  # an endpoint with a bug: what a fault no handler foresaw looks like
        raise KeyError("no such key")

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="critical"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 60
        while not server.started and thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server.started
        served = Served(f"http://127.0.0.1:{port}", None)  # type: ignore[arg-type]  (no process: in this one)
        for _ in range(2):
            error = openai_error(httpx.post(served.url + "/v1/broken", json={}), 500)
            assert error["type"] == "server_error" and error["message"] == "internal error: KeyError: 'no such key'"
            still_answers(served)
    finally:
        server.should_exit = True
        thread.join(30)


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
