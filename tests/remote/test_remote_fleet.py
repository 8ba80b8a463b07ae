"""RemoteLlama over several llama-servers: routing, health, retries, failover, and servers that misbehave.

Real llama-server replicas (built from the pinned source) run on loopback;
the misbehaving ones are small Python servers (``fakes.py``).
"""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from fakes import FakeServer

from llama_native.llama_cpp_tools import LlamaServer
from llama_native.remote import RemoteError, RemoteLlama, RemoteStreamError, RemoteTimeoutError

PERSON = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "maxLength": 16},
        "age": {"type": "integer", "minimum": 0, "maximum": 130},
    },
    "required": ["name", "age"],
}
PEOPLE = [("Ana Costa", 41), ("Bruno Lima", 35), ("Carla Dias", 29), ("Duarte Reis", 52), ("Eva Mota", 23)]


def extraction(i: int) -> list[dict[str, str]]:
    name, age = PEOPLE[i % len(PEOPLE)]
    return [
        {"role": "system", "content": f"Extract the person as JSON. Request {i // len(PEOPLE)}."},
        {"role": "user", "content": f"{name} is {age} years old."},
    ]


def structured(remote: RemoteLlama, i: int) -> dict[str, Any]:
    out = remote.create_chat_completion(
        extraction(i),
        response_format={"type": "json_schema", "json_schema": {"name": "person", "schema": PERSON}},
        temperature=0.7,
        seed=i,
        max_tokens=48,
    )
    assert out["choices"][0]["finish_reason"] == "stop", out
    value = json.loads(out["choices"][0]["message"]["content"])
    jsonschema.validate(value, PERSON)
    return value


@pytest.fixture()
def replicas(real_model_path: Path) -> Any:
    servers = [LlamaServer(real_model_path, threads=1, n_ctx=1024, args=["-np", "2"]) for _ in range(3)]
    started = []
    try:
        for server in servers:
            started.append(server.__enter__())
        yield started
    finally:
        for server in started:
            server.__exit__(None, None, None)


def test_a_replica_killed_during_60_extractions_loses_none(replicas: list[LlamaServer]) -> None:
    remote = RemoteLlama([s.base_url for s in replicas], timeout=120, max_retries=4)
    assert remote.health() == {s.base_url: True for s in replicas}
    done: list[int] = []
    lock = threading.Lock()

    def one(i: int) -> dict[str, Any]:
        value = structured(remote, i)
        with lock:
            done.append(i)
        return value

    victim = replicas[0]
    with ThreadPoolExecutor(max_workers=6) as pool:
        futures = [pool.submit(one, i) for i in range(60)]
        while len(done) < 10:
            time.sleep(0.05)
        assert victim.process is not None
        victim.process.kill()  # mid-batch: requests in flight there fail over to the others
        results = [f.result(timeout=300) for f in futures]
    assert len(results) == 60 and len(done) == 60
    health = remote.health()
    assert health[victim.base_url] is False and sum(health.values()) == 2
    stats = {s["url"]: s for s in remote.stats()}
    assert stats[victim.base_url]["up"] is False
    assert all(stats[s.base_url]["requests"] > 0 for s in replicas[1:])


def test_prefix_affinity_sends_a_shared_system_prompt_to_one_server(replicas: list[LlamaServer]) -> None:
    urls = [s.base_url for s in replicas]
    remote = RemoteLlama(urls, timeout=60)
    system = {"role": "system", "content": "You are the extraction service of tenant A."}
    for i in range(6):
        remote.create_chat_completion([system, {"role": "user", "content": f"Item {i}"}], max_tokens=2)
    used = [s["url"] for s in remote.stats() if s["requests"]]
    assert len(used) == 1  # every request with that prefix went to the same server
    spread = RemoteLlama(urls, timeout=60, routing="round_robin")
    for i in range(6):
        spread.create_chat_completion([system, {"role": "user", "content": f"Item {i}"}], max_tokens=2)
    assert sorted(s["requests"] for s in spread.stats()) == [2, 2, 2]


def test_a_dead_server_in_the_list_is_skipped_and_reported(replicas: list[LlamaServer]) -> None:
    dead = "http://127.0.0.1:9"
    remote = RemoteLlama([dead, replicas[1].base_url], timeout=60, connect_timeout=1, routing="round_robin")
    for i in range(3):
        structured(remote, i)
    stats = {s["url"]: s for s in remote.stats()}
    assert stats[dead]["up"] is False and "Connect" in (stats[dead]["error"] or "")


def test_a_busy_server_is_retried_elsewhere(replicas: list[LlamaServer]) -> None:
    with FakeServer("busy") as busy:
        remote = RemoteLlama([busy.url, replicas[2].base_url], api="llama.cpp", timeout=60, routing="round_robin")
        for i in range(4):
            structured(remote, i)
        assert any(r == "POST /completion" for r in busy.requests)  # it was tried, answered 503, and skipped
        # the request's prefix travels as a header, for load balancers that route by it
        hashes = [h for r, h in zip([r for r in busy.requests if r.startswith("POST")], busy.prefix_headers)
                  if r == "POST /completion"]  # fmt: skip
        assert hashes and all(h and len(h) == 16 for h in hashes)


def test_a_stream_that_breaks_midway_raises_instead_of_returning_a_truncated_output(
    replicas: list[LlamaServer],
) -> None:
    victim = replicas[0]
    remote = RemoteLlama(victim.base_url, timeout=60)
    stream = remote.create_chat_completion(
        extraction(0), max_tokens=3000, temperature=1.0, stream=True, logit_bias={t: -100.0 for t in (0, 1, 2)}
    )
    received = 0
    with pytest.raises((RemoteStreamError, RemoteError)) as caught:
        for _ in stream:
            received += 1
            if received == 5:
                assert victim.process is not None
                victim.process.kill()
    assert received >= 5
    assert victim.base_url in str(caught.value)


def test_a_server_answering_garbage_gets_a_clear_error_naming_it() -> None:
    with FakeServer("garbage") as fake:
        remote = RemoteLlama(fake.url, api="openai", model="fake", timeout=5, max_retries=1)
        started = time.monotonic()
        with pytest.raises(RemoteError, match="not JSON") as caught:
            remote.create_chat_completion([{"role": "user", "content": "Hi"}], max_tokens=4)
        assert fake.url in str(caught.value)
        assert time.monotonic() - started < 5


def test_a_server_that_hangs_gets_a_timeout_error_within_the_timeout() -> None:
    with FakeServer("hang", seconds=20) as fake:
        remote = RemoteLlama(fake.url, api="openai", model="fake", timeout=2, max_retries=3)
        started = time.monotonic()
        with pytest.raises(RemoteTimeoutError, match="within the timeout") as caught:
            remote.create_chat_completion([{"role": "user", "content": "Hi"}], max_tokens=4)
        assert fake.url in str(caught.value)
        assert time.monotonic() - started < 4  # not retried: the server may still be working on it


def test_a_broken_openai_stream_raises() -> None:
    with FakeServer("broken_stream") as fake:
        remote = RemoteLlama(fake.url, api="openai", model="fake", timeout=5)
        chunks = []
        with pytest.raises(RemoteStreamError, match="without a finish reason"):
            for chunk in remote.create_chat_completion([{"role": "user", "content": "Hi"}], stream=True):
                chunks.append(chunk)
        assert "".join(c["choices"][0]["delta"]["content"] for c in chunks) == "Hello"


def test_an_openai_server_that_ignores_the_schema_is_caught() -> None:
    with FakeServer("invalid_json_output") as fake:
        remote = RemoteLlama(fake.url, api="openai", model="fake", timeout=5)
        from llama_native import SchemaValidationError

        schema = {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}
        with pytest.raises(SchemaValidationError, match=f"{fake.url}.*does not validate"):
            remote.create_chat_completion(
                [{"role": "user", "content": "Hi"}],
                response_format={"type": "json_schema", "json_schema": {"name": "s", "schema": schema}},
            )
