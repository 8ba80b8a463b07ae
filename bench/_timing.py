"""Timing of a streamed completion, shared by the decode-speed benchmarks."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable, Iterable, Tuple


def time_stream(stream: Iterable[dict]) -> Tuple[float, int]:
    """Seconds from the first chunk (prompt decoded, first token sampled) to the end, and completion tokens."""
    first = None
    n = 0
    for chunk in stream:
        if first is None:
            first = time.perf_counter()
        if chunk["choices"][0]["finish_reason"] is not None:
            n = chunk["usage"]["completion_tokens"]
    if first is None:
        raise RuntimeError("the stream produced no chunk")
    return time.perf_counter() - first, n


def compare_with_llama_bench(
    description: str,
    label: str,
    default_tokens: int,
    default_runs: int,
    peer_run: Callable[[Path, Path, int, int, list[str]], float],
    our_runner: Callable[[Path, int, int], Callable[[], float]],
) -> None:
    """The command line of the llama-bench comparisons: interleaved rounds, medians, the ratio.

    ``peer_run(binary, model, threads, tokens, extra_args)`` is one llama-bench run's
    tok/s (``--repack 0|1`` in ``extra_args`` when asked for); ``our_runner(model, threads, tokens)`` returns a function doing
    one of our measured runs.  Rounds alternate (peer, then ours) so drift on
    a shared machine hits both alike.
    """
    import argparse
    import statistics

    from _peers import build_llama_tool
    from llama_native.testing import bench_model_path

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--tokens", type=int, default=default_tokens)
    parser.add_argument("--runs", type=int, default=default_runs)
    parser.add_argument("--quant", default=None, help="the benchmark model quantized by llama.cpp (Q4_0, Q4_K_M, ...)")
    parser.add_argument("--repack", choices=["0", "1"], default=None,
                        help="llama-bench's --repack (default: llama-bench's default, 1); ours stays at its defaults")
    parser.add_argument("--stock", action="store_true",
                        help="on an AMX host, llama.cpp's stock llama-bench (AMX kernels in; built apart)")
    args = parser.parse_args()

    model = args.model or bench_model_path(args.quant)
    extra = ["--repack", args.repack] if args.repack is not None else []
    binary = build_llama_tool("llama-bench", stock=args.stock or None)
    run_ours = our_runner(model, args.threads, args.tokens)
    peer_runs, our_runs = [], []
    for _ in range(args.runs):
        peer_runs.append(peer_run(binary, model, args.threads, args.tokens, extra))
        our_runs.append(run_ours())
    peer, ours = statistics.median(peer_runs), statistics.median(our_runs)
    print(f"model: {model}")
    print(f"threads={args.threads} tokens={args.tokens} rounds={args.runs} (interleaved, median)")
    from llama_native import Llama, system_info

    info = system_info(Llama(str(model), n_ctx=64))
    print(f"cpu: {info.cpu} [{' '.join(info.host_flags)}]; our weights: {info.buffer_types}")
    print(f"llama-bench {label}{args.tokens}{' ' + ' '.join(extra) if extra else ''}: {peer:8.1f} tok/s")
    print(f"llama_native      : {ours:8.1f} tok/s")
    print(f"ratio (ours / llama-bench): {ours / peer:.3f}")
