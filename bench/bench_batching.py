"""Continuous batching: 8 concurrent schema extractions against the same 8 run one after another.

The sequential run uses a single-sequence model (``n_parallel=1``); the
concurrent run sends the 8 requests from 8 threads to a model with
``n_parallel=8``, whose scheduler decodes all active sequences in one
``llama_decode`` per step.  Greedy decoding; the script stops unless every
concurrent output equals its sequential one.  Prints wall time, generated
tokens/s and the throughput ratio (median of rounds).

For scale it also runs the peer, llama.cpp's own ``llama-batched-bench``
(built from the same source), on the same model with the same prompt and
output lengths: its generation speed with 8 sequences against 1 is what
batching buys on this machine with no grammar, no jump-forward and equal
output lengths (``--no-peer`` skips it).

Usage::

    python bench/bench_batching.py [--model PATH] [--threads 2] [--requests 8] [--runs 3] [--no-peer]
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import List, Tuple

from pydantic import BaseModel, Field

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _peers import build_llama_tool  # noqa: E402

from llama_native import Llama  # noqa: E402
from llama_native.testing import bench_model_path  # noqa: E402


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


def peer_generation_speeds(model: str, threads: int, n_prompt: int, n_gen: int, n_seq: int) -> Tuple[float, float]:
    """llama-batched-bench's generation tokens/s with 1 and with ``n_seq`` sequences."""
    binary = build_llama_tool("llama-batched-bench")
    out = subprocess.run(
        [str(binary), "-m", model, "-c", str((n_prompt + n_gen) * n_seq + 64), "-b", "512", "-ub", "512",
         "-npp", str(n_prompt), "-ntg", str(n_gen), "-npl", f"1,{n_seq}", "-t", str(threads), "-fa", "off"],
        check=True, capture_output=True, text=True,
    ).stdout
    speeds = {}
    for line in out.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 10 and re.fullmatch(r"\d+", cells[2]):
            speeds[int(cells[2])] = float(cells[7])  # S_TG t/s
    return speeds[1], speeds[n_seq]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--requests", type=int, default=8)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-peer", action="store_true", help="skip llama-batched-bench")
    args = parser.parse_args()
    model = str(args.model or bench_model_path())
    batch = prompts(args.requests)
    # flash attention auto (llama.cpp's and llama-batched-bench's default): without it ggml's CPU attention
    # rounds by batch, so batched replies could differ from sequential ones; the server's free JSON whitespace
    common = dict(n_ctx=512, n_threads=args.threads, flash_attn=None, json_whitespace="free")
    sequential = Llama(model, **common)
    parallel = Llama(model, n_parallel=args.requests, **common)
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
    if not args.no_peer:
        n_prompt = round(statistics.mean(len(sequential.tokenize(p.encode())) for p in batch))
        n_gen = max(1, round(tokens / len(batch)))
        one, many = peer_generation_speeds(model, args.threads, n_prompt, n_gen, args.requests)
        print(f"peer, llama-batched-bench (pp {n_prompt}, tg {n_gen}, no grammar): generation "
              f"{one:.1f} tok/s with 1 sequence, {many:.1f} tok/s with {args.requests}: {many / one:.2f}x")


if __name__ == "__main__":
    main()
