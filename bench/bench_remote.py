"""The remote backend: its overhead against in process, and prefix-affinity routing against round robin.

Part 1, overhead (one llama-server, ``-np 1``, the same threads): 20 JSON-schema
extractions one after another (greedy, ``max_tokens=96``), each timed whole,
through (a) an in-process ``Llama`` (default engine, and llama.cpp's GBNF engine
as the server runs it), (b) ``RemoteLlama`` on the server (our
prompt and grammar, the server's token loop), and (c) the server's own
``/v1/chat/completions`` with ``response_format`` (raw httpx: the floor of any
client).  Three interleaved rounds; medians.  Ratios: remote / in process,
remote / the server's own chat path.

Part 2, routing (two llama-server replicas on loopback, ``-np 2`` each, one
thread each): time to first token of 20 streamed requests, one after
another.  Workload "shared": every request has the same ~1,000-token system
prompt; workload "tenants": 6 such system prompts, each request taking one at
random (a fixed seed; tenants arrive in no order a round robin could line up with).  Routed by prefix affinity and by
round robin; mean and p50 TTFT.

Part 3, ggml RPC (``--part rpc``): greedy decode of 64 tokens, tokens/s, with
every layer in process, on one ``ggml-rpc-server`` and split over two (loopback,
one thread each; the in-process run also gets one thread), and whether the
text is the same.  Loopback shows the protocol's cost, not a network's.

Usage::

    python bench/bench_remote.py [--model PATH] [--threads 2] [--requests 20] [--part overhead|routing|rpc|all]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from pathlib import Path
from typing import Any, Callable

import httpx
from bench_server import SCHEMA, TEXTS  # the same extraction workload as the server benchmark

from llama_native import Llama
from llama_native.llama_cpp_tools import LlamaServer
from llama_native.remote import RemoteLlama
from llama_native.testing import bench_model_path, smollm2_model_path

FORMAT = {"type": "json_schema", "json_schema": {"name": "person", "schema": SCHEMA}}


def messages(i: int) -> list[dict[str, str]]:
    return [{"role": "user", "content": f"Extract the person as JSON: {TEXTS[i % len(TEXTS)]}"}]


def timed(call: Callable[[int], Any], n: int) -> float:
    """Median seconds per request over ``n`` requests."""
    times = []
    for i in range(n):
        started = time.perf_counter()
        call(i)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def overhead(model: Path, threads: int, n: int) -> None:
    local = Llama(str(model), n_ctx=2048, n_threads=threads, flash_attn=None)  # llama-server's auto
    local_gbnf = Llama(str(model), n_ctx=2048, n_threads=threads, grammar_engine="gbnf", flash_attn=None)
    with LlamaServer(model, threads=threads, n_ctx=2048, args=["-np", "1"]) as server:
        remote = RemoteLlama(server.base_url, timeout=300)
        http = httpx.Client(timeout=300)

        def in_process(i: int) -> None:
            local.create_chat_completion(messages(i), response_format=FORMAT, temperature=0, max_tokens=96)

        def in_process_gbnf(i: int) -> None:
            local_gbnf.create_chat_completion(messages(i), response_format=FORMAT, temperature=0, max_tokens=96)

        def via_remote(i: int) -> None:
            remote.create_chat_completion(messages(i), response_format=FORMAT, temperature=0, max_tokens=96)

        def direct(i: int) -> None:
            body = {"messages": messages(i), "response_format": FORMAT, "temperature": 0, "max_tokens": 96}
            http.post(server.base_url + "/v1/chat/completions", json=body).raise_for_status()

        runs: dict[str, list[float]] = {
            "in process": [],
            "in process, GBNF engine": [],
            "RemoteLlama -> llama-server": [],
            "llama-server /v1": [],
        }
        for call in (in_process, in_process_gbnf, via_remote, direct):
            call(0)  # warm-up
        for _ in range(3):
            runs["in process"].append(timed(in_process, n))
            runs["in process, GBNF engine"].append(timed(in_process_gbnf, n))
            runs["RemoteLlama -> llama-server"].append(timed(via_remote, n))
            runs["llama-server /v1"].append(timed(direct, n))
    print(f"overhead: {model.name}, {n} extractions one after another, {threads} threads, median s/request")
    med = {k: statistics.median(v) for k, v in runs.items()}
    for name, value in med.items():
        print(f"  {name:30} {value * 1000:8.1f} ms")
    print(f"  remote / in process:            {med['RemoteLlama -> llama-server'] / med['in process']:.3f}")
    gbnf = med["RemoteLlama -> llama-server"] / med["in process, GBNF engine"]
    print(f"  remote / in process, GBNF:      {gbnf:.3f}  (the same sampler on both sides)")
    print(f"  remote / llama-server's own:    {med['RemoteLlama -> llama-server'] / med['llama-server /v1']:.3f}")


def system_prompt(tenant: int, tokens: int = 1000) -> str:
    """A ~``tokens``-token system prompt of its own for each tenant."""
    lines = [f"You are the assistant of company {tenant}. Policy {tenant}-{i}: rule number {i * 7 + tenant} "
             f"applies to orders of category {i % 13}." for i in range(tokens // 22)]  # fmt: skip
    return "\n".join(lines)


def ttft(remote: RemoteLlama, system: str, i: int) -> float:
    started = time.perf_counter()
    stream = remote.create_chat_completion(
        [{"role": "system", "content": system}, {"role": "user", "content": f"Order {i}: which rule applies?"}],
        stream=True,
        temperature=0,
        max_tokens=4,
    )
    first = None
    for chunk in stream:
        if first is None and chunk["choices"] and chunk["choices"][0]["delta"].get("content"):
            first = time.perf_counter()
    return (first or time.perf_counter()) - started


def routing(model: Path, n: int) -> None:
    print(f"routing: {model.name}, 2 replicas (-np 2, 1 thread each), {n} streamed requests one after another")
    print(f"  {'workload':10} {'routing':12} {'mean TTFT s':>12} {'p50 TTFT s':>11}")
    for workload, tenants in (("shared", 1), ("tenants", 6)):
        rng = random.Random(0)
        order = [rng.randrange(tenants) for _ in range(n)]
        results = {}
        for route in ("affinity", "round_robin"):
            with (
                LlamaServer(model, threads=1, n_ctx=8192, args=["-np", "2"]) as a,
                LlamaServer(model, threads=1, n_ctx=8192, args=["-np", "2"]) as b,
            ):
                remote = RemoteLlama([a.base_url, b.base_url], routing=route, timeout=300)
                times = [ttft(remote, system_prompt(order[i]), i) for i in range(n)]
            results[route] = times
            print(f"  {workload:10} {route:12} {statistics.mean(times):12.3f} {statistics.median(times):11.3f}")
        ratio = statistics.mean(results["round_robin"]) / statistics.mean(results["affinity"])
        print(f"  {workload:10} affinity is {ratio:.2f}x faster to the first token than round robin (mean)")


def rpc(model: Path) -> None:
    from llama_native.llama_cpp_tools import RpcServer

    prompt = "The history of the city of Porto begins"

    def decode(**kwargs: Any) -> tuple[float, str]:
        with Llama(str(model), n_ctx=512, n_threads=1, **kwargs) as llm:
            llm.create_completion(prompt, max_tokens=4, temperature=0)  # warm-up
            best, text = 0.0, ""
            for _ in range(3):
                started = time.perf_counter()
                out = llm.create_completion(prompt, max_tokens=64, temperature=0, logit_bias=_no_end(llm))
                best = max(best, out["usage"]["completion_tokens"] / (time.perf_counter() - started))
                text = out["choices"][0]["text"]
            return best, text

    print(f"rpc: {model.name}, greedy 64 tokens, best of 3, loopback")
    local, expected = decode()
    print(f"  {'in process':28} {local:8.1f} tok/s")
    with RpcServer() as a, RpcServer() as b:
        for name, servers in (("1 rpc-server", a.endpoint), ("2 rpc-servers", f"{a.endpoint},{b.endpoint}")):
            speed, text = decode(rpc_servers=servers, n_gpu_layers=-1)
            print(f"  {name:28} {speed:8.1f} tok/s  ({speed / local:.2f}x; same text: {text == expected})")


def _no_end(llm: Llama) -> dict[int, float]:
    return {t: float("-inf") for t in llm.eog_tokens()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--part", choices=("overhead", "routing", "rpc", "all"), default="all")
    args = parser.parse_args()
    model = args.model or smollm2_model_path() or bench_model_path()
    if args.part in ("overhead", "all"):
        overhead(model, args.threads, args.requests)
    if args.part in ("routing", "all"):
        routing(model, args.requests)
    if args.part in ("rpc", "all"):
        rpc(model)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
