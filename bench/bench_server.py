"""The OpenAI-compatible server against llama.cpp's llama-server: JSON-schema chat requests, 8 in flight.

The workload (issue 21): 32 ``/v1/chat/completions`` requests, each with a
``response_format`` JSON schema (a person: name, age, city), streamed so the
time to the first token can be read, 8 in flight at a time, greedy,
``max_tokens=96``.  Both servers get 8 slots of 1024 tokens (llama-server:
``-np 8 -c 8192``; ours: ``--n-parallel 8 --n-ctx 1024``), the same threads,
the same model.  One warm-up round per server, then the timed one.
Reported: requests/s and completion tokens/s, p50 and p99 latency, p50 time
to first token, and how many outputs parse as JSON valid for the schema.

Usage::

    python bench/bench_server.py [--model PATH ...] [--threads 2] [--requests 32] [--concurrency 8]

Default models: SmolLM2-135M-Instruct (when installed) and the 128k-vocabulary
random benchmark model.  ``--llama-cpp-python PYTHON`` adds llama-cpp-python's
server, run by that interpreter (``python -m llama_cpp.server``; it serves one
request at a time, ``n_ctx`` 2048); it is built from the same pinned sdist:
``pip install "llama-cpp-python[server] @ file://<cache>/llama_cpp_python-0.3.36.tar.gz"``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import jsonschema

from llama_native.llama_cpp_tools import LlamaServer, free_port
from llama_native.testing import bench_model_path, smollm2_model_path

SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "maxLength": 24},
        "age": {"type": "integer", "minimum": 0, "maximum": 120},
        "city": {"type": "string", "maxLength": 24},
    },
    "required": ["name", "age", "city"],
    "additionalProperties": False,
}
TEXTS = [
    "Ana Costa is 41 and lives in Porto.",
    "Bob Lee, 29, moved to Berlin.",
    "Chen Wu (52) works in Shanghai.",
    "Dana Smith is a 33-year-old from Denver.",
]


def body(i: int, legacy_schema: bool = False) -> dict[str, Any]:
    """Request ``i``; ``legacy_schema``: the schema as llama-cpp-python's server takes it (``json_object`` + ``schema``)."""
    fmt = {"type": "json_object", "schema": SCHEMA} if legacy_schema else {
        "type": "json_schema", "json_schema": {"name": "person", "schema": SCHEMA}
    }  # fmt: skip
    return {
        "model": "bench",
        "messages": [{"role": "user", "content": f"Extract the person as JSON: {TEXTS[i % len(TEXTS)]}"}],
        "max_tokens": 96,
        "temperature": 0,
        "stream": True,
        "stream_options": {"include_usage": True},
        "response_format": fmt,
    }


async def one(client: httpx.AsyncClient, url: str, i: int, legacy: bool = False) -> dict[str, Any]:
    started = time.perf_counter()
    first = None
    text = ""
    tokens = 0
    usage_tokens = None
    async with client.stream("POST", url + "/v1/chat/completions", json=body(i, legacy)) as r:
        r.raise_for_status()
        async for line in r.aiter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            chunk = json.loads(line[6:])
            if chunk.get("usage"):
                usage_tokens = int(chunk["usage"]["completion_tokens"])
            for choice in chunk.get("choices") or []:
                piece = (choice.get("delta") or {}).get("content") or ""
                if piece and first is None:
                    first = time.perf_counter()
                text += piece
                tokens += bool(piece)  # one token per content chunk, where the server sends no usage
    try:
        jsonschema.validate(json.loads(text), SCHEMA)
        valid = True
    except (ValueError, jsonschema.ValidationError):
        valid = False
    end = time.perf_counter()
    n_tokens = usage_tokens if usage_tokens is not None else tokens
    return {"latency": end - started, "ttft": (first or end) - started, "valid": valid, "tokens": n_tokens}


async def workload(url: str, n: int, concurrency: int, legacy: bool = False) -> tuple[float, list[dict[str, Any]]]:
    gate = asyncio.Semaphore(concurrency)
    # a connection per request: llama-server may close a kept-alive one just as it is reused
    async with httpx.AsyncClient(timeout=600, limits=httpx.Limits(max_keepalive_connections=0)) as client:

        async def limited(i: int) -> dict[str, Any]:
            async with gate:
                return await one(client, url, i, legacy)

        started = time.perf_counter()
        results = await asyncio.gather(*[limited(i) for i in range(n)])
        return time.perf_counter() - started, list(results)


def measure(url: str, n: int, concurrency: int, legacy: bool = False) -> dict[str, Any]:
    asyncio.run(workload(url, concurrency, concurrency, legacy))  # warm-up
    seconds, results = asyncio.run(workload(url, n, concurrency, legacy))
    lat = sorted(r["latency"] for r in results)
    return {
        "req_s": n / seconds,
        "tok_s": sum(r["tokens"] for r in results) / seconds,
        "p50": statistics.median(lat),
        "p99": lat[min(len(lat) - 1, int(round(0.99 * (len(lat) - 1))))],
        "ttft": statistics.median(r["ttft"] for r in results),
        "valid": sum(r["valid"] for r in results),
    }


class OurServer:
    """``python -m llama_native.server`` on loopback (or, with ``python``, llama-cpp-python's server)."""

    def __init__(self, model: Path, threads: int, slots: int, python: str | None = None) -> None:
        self.model, self.threads, self.slots, self.python = model, threads, slots, python

    def __enter__(self) -> str:
        port = free_port()
        self.log = tempfile.NamedTemporaryFile("w", suffix=".log", delete=False)
        if self.python:
            cmd = [self.python, "-m", "llama_cpp.server", "--model", str(self.model), "--model_alias", "bench",
                   "--port", str(port), "--n_ctx", "2048", "--n_threads", str(self.threads),
                   "--n_threads_batch", str(self.threads), "--interrupt_requests", "False"]  # fmt: skip
        else:
            cmd = [sys.executable, "-m", "llama_native.server", "--model", str(self.model), "--model-alias", "bench",
                   "--port", str(port), "--n-parallel", str(self.slots), "--n-ctx", "1024",
                   "--n-threads", str(self.threads)]  # fmt: skip
        self.process = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT, cwd=tempfile.gettempdir())
        url = f"http://127.0.0.1:{port}"
        for _ in range(600):
            try:
                if httpx.get(url + "/v1/models", timeout=1).status_code == 200:  # (llama-cpp-python has no /health)
                    return url
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError(f"our server did not start; log: {self.log.name}")

    def __exit__(self, *exc: Any) -> None:
        self.process.terminate()
        self.process.wait(timeout=60)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, action="append")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--requests", type=int, default=32)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--llama-cpp-python", metavar="PYTHON", help="a Python with llama-cpp-python[server]")
    args = parser.parse_args()
    models = args.model or [p for p in (smollm2_model_path(), bench_model_path()) if p is not None]
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    header = f"{'model':34} {'server':12} {'req/s':>6} {'tok/s':>7} {'p50 s':>6} {'p99 s':>6} {'ttft s':>7} {'valid':>6}"
    print(header)
    for model in models:
        rows = {}
        with LlamaServer(model, threads=args.threads, n_ctx=1024 * args.concurrency,
                         args=["-np", str(args.concurrency), "--alias", "bench"]) as peer:  # fmt: skip
            rows["llama-server"] = measure(peer.base_url, args.requests, args.concurrency)
        with OurServer(model, args.threads, args.concurrency) as url:
            rows["llama-native"] = measure(url, args.requests, args.concurrency)
        if args.llama_cpp_python:
            with OurServer(model, args.threads, 1, python=args.llama_cpp_python) as url:
                rows["llama-cpp-py"] = measure(url, args.requests, args.concurrency, legacy=True)
        for name, r in rows.items():
            print(f"{model.name[:34]:34} {name:12} {r['req_s']:6.2f} {r['tok_s']:7.1f} {r['p50']:6.2f} "
                  f"{r['p99']:6.2f} {r['ttft']:7.3f} {r['valid']:3d}/{args.requests}")  # fmt: skip
        ours = rows["llama-native"]["req_s"]
        print(f"{'':34} throughput: {ours / rows['llama-server']['req_s']:.2f}x llama-server", end="")
        if "llama-cpp-py" in rows:
            print(f", {ours / rows['llama-cpp-py']['req_s']:.2f}x llama-cpp-python's server", end="")
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
