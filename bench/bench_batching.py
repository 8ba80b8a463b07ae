"""Continuous batching: 8 concurrent schema extractions against the same 8 run one after another.

The sequential run uses a single-sequence model (``n_parallel=1``); the
concurrent run sends the 8 requests from 8 threads to a model with
``n_parallel=8``, whose scheduler decodes all active sequences in one
``llama_decode`` per step.  Greedy decoding; the script stops unless every
concurrent output equals its sequential one.  Prints wall time, generated
tokens/s and the throughput ratio (median of rounds).

Usage::

    python bench/bench_batching.py [--model PATH] [--threads 2] [--requests 8] [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from pathlib import Path
from typing import List

from pydantic import BaseModel, Field

from llama_native import Llama
from llama_native.testing import bench_model_path


class Person(BaseModel):
    name: str = Field(max_length=24)
    age: int = Field(ge=0, le=120)
    email: str = Field(max_length=32)
    city: str = Field(max_length=20)


SYSTEM = "Extract the person described in the text as JSON with the fields name, age, email and city.\n"
TEXTS = [
    "Jason is 30 years old, lives in Berlin and writes from jason@example.com.",
    "Maria (41) moved to Lisbon; reach her at maria.s@example.org.",
    "The new hire, Tom Baker, 25, works remotely from Leeds: tom@baker.dev.",
    "Aiko Tanaka is 37 and based in Osaka; email aiko@tanaka.jp.",
    "Pedro, aged 52, from Madrid, pedro52@example.es.",
    "Lena Fischer, 29, Hamburg, lena.fischer@example.de.",
    "Omar is 33 and lives in Cairo (omar@example.eg).",
    "Grace Lee, 46, Toronto, grace@lee.ca.",
]


def prompts(n: int) -> List[str]:
    return [f"{SYSTEM}Text: {TEXTS[i % len(TEXTS)]} (#{i})\nJSON:" for i in range(n)]


def extract(llm: Llama, prompt: str) -> dict:
    return llm.create_completion(prompt, json_schema=Person, temperature=0, max_tokens=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--requests", type=int, default=8)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    model = str(args.model or bench_model_path())
    batch = prompts(args.requests)
    sequential = Llama(model, n_ctx=512, n_threads=args.threads)
    parallel = Llama(model, n_ctx=512, n_threads=args.threads, n_parallel=args.requests)
    extract(sequential, batch[0]), extract(parallel, batch[0])  # warm-up: vocabulary views, threads

    seq_times, par_times, tokens = [], [], 0
    reference: List[str] = []
    for _ in range(args.runs):
        sequential.reset()
        start = time.perf_counter()
        outs = [extract(sequential, p) for p in batch]
        seq_times.append(time.perf_counter() - start)
        reference = [o["choices"][0]["text"] for o in outs]
        tokens = sum(o["usage"]["completion_tokens"] for o in outs)

        parallel.reset()
        results: List[dict] = [{}] * len(batch)

        def work(i: int) -> None:
            results[i] = extract(parallel, batch[i])

        threads = [threading.Thread(target=work, args=(i,)) for i in range(len(batch))]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        par_times.append(time.perf_counter() - start)
        for i, (want, got) in enumerate(zip(reference, results)):
            if got["choices"][0]["text"] != want:
                raise SystemExit(f"request {i}: batched output differs:\n{want!r}\n{got['choices'][0]['text']!r}")

    seq, par = statistics.median(seq_times), statistics.median(par_times)
    completed = sum(1 for r in reference if r.endswith("}"))
    print(f"model: {model}   threads={args.threads}   {args.requests} requests, greedy, {args.runs} rounds (median)")
    print(f"outputs identical to sequential: yes ({completed}/{len(reference)} completed objects, {tokens} tokens)")
    print(f"sequential (n_parallel=1): {seq:6.2f} s   {tokens / seq:7.1f} tok/s")
    print(f"batched    (n_parallel={args.requests}): {par:6.2f} s   {tokens / par:7.1f} tok/s")
    print(f"throughput ratio (batched / sequential): {seq / par:.2f}x")


if __name__ == "__main__":
    main()
