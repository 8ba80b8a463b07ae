"""Start-up and memory: import time, integration constructors, peak RSS against llama-bench.

* ``import llama_native`` (and the LangChain / LlamaIndex packages) in a fresh
  interpreter, median of several runs, against a bare ``python -c pass``.
* Constructor time of ``ChatLlamaCpp``, ``LlamaCpp`` and LlamaIndex's
  ``LlamaCPP``: they must not load the model (target: under 1 ms).
* Peak RSS of a process that loads the model and generates 128 tokens, ours
  against llama.cpp's ``llama-bench`` (same source, same model, ``-p 0 -n 128``),
  each measured by the kernel (``ru_maxrss`` of the finished child).

Usage::

    python bench/bench_startup.py [--model PATH] [--threads 2] [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _peers import build_llama_tool  # noqa: E402

from llama_native.testing import bench_model_path  # noqa: E402

GENERATE = """
import sys
from llama_native import Llama
llm = Llama(sys.argv[1], n_ctx=512, n_threads=int(sys.argv[2]))
ban = {t: float("-inf") for t in llm.eog_tokens()}
llm.create_completion([llm.token_bos()], max_tokens=128, temperature=0, logit_bias=ban)
"""


def child_seconds(code: str, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def peak_rss_mib(argv) -> float:
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    if status != 0:
        raise SystemExit(f"{argv[0]} failed with status {status}")
    return usage.ru_maxrss / 1024  # KiB on Linux


def constructor_ms(make, runs: int = 200) -> float:
    make()
    start = time.perf_counter()
    for _ in range(runs):
        make()
    return (time.perf_counter() - start) / runs * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    model = str(args.model or bench_model_path())

    bare = child_seconds("pass", args.runs)
    print(f"python -c pass                     : {bare * 1000:7.1f} ms")
    for module in ("llama_native", "langchain_llama_native", "llama_index.llms.llama_native"):
        took = child_seconds(f"import {module}", args.runs)
        print(f"import {module:28s}: {took * 1000:7.1f} ms ({(took - bare) * 1000:.1f} ms over bare python)")

    from langchain_llama_native import ChatLlamaCpp, LlamaCpp
    from llama_index.llms.llama_native import LlamaCPP

    for name, make in (
        ("ChatLlamaCpp(model_path=...)", lambda: ChatLlamaCpp(model_path=model)),
        ("LlamaCpp(model_path=...)", lambda: LlamaCpp(model_path=model)),
        ("LlamaCPP(model_path=...)", lambda: LlamaCPP(model_path=model)),
    ):
        print(f"{name:34s}: {constructor_ms(make):7.3f} ms per construction (no model load)")

    bench = build_llama_tool("llama-bench")
    ours = statistics.median(
        peak_rss_mib([sys.executable, "-c", GENERATE, model, str(args.threads)]) for _ in range(3)
    )
    peer = statistics.median(
        peak_rss_mib([str(bench), "-m", model, "-t", str(args.threads), "-p", "0", "-n", "128", "-r", "1", "-fa", "0"])
        for _ in range(3)
    )
    print(f"peak RSS, load + 128 tokens: llama_native {ours:7.1f} MiB, llama-bench {peer:7.1f} MiB, "
          f"ratio {ours / peer:.2f} (ours includes the Python interpreter)")


if __name__ == "__main__":
    main()
