"""The cost of llama-cpp-python's Python hooks in the native token loop, against the same loop without them.

``logits_processor`` copies each position's logits (128k floats on the
benchmark model) into a numpy array, calls Python with the GIL, and copies
the result back; ``stopping_criteria`` does the first half; ``logprobs=5``
stays native (a log-softmax and a partial sort per token).  Without any of
them the loop never enters Python between tokens.  Decode tokens/s, median
of interleaved rounds, each configuration over the plain loop.

Usage::

    python bench/bench_hooks.py [--model PATH] [--threads 2] [--tokens 64] [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _timing import time_stream  # noqa: E402

from llama_native import Llama  # noqa: E402
from llama_native.testing import bench_model_path  # noqa: E402


def identity(input_ids: np.ndarray, scores: np.ndarray) -> np.ndarray:
    return scores


def never(input_ids: np.ndarray, scores: np.ndarray) -> bool:
    return False


CONFIGS: dict[str, dict[str, Any]] = {
    "no hooks": {},
    "logits_processor (identity)": {"logits_processor": identity},
    "stopping_criteria (never)": {"stopping_criteria": never},
    "logprobs=5": {"logprobs": 5},
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--tokens", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    model = args.model or bench_model_path()
    llm = Llama(str(model), n_ctx=512, n_threads=args.threads, n_threads_batch=args.threads)
    ban = {t: float("-inf") for t in llm.eog_tokens()}
    prompt = [llm.token_bos()] if llm.token_bos() >= 0 else llm.tokenize(b"a")

    def run(options: dict[str, Any]) -> float:
        llm.reset()
        stream = llm.create_completion(
            prompt, max_tokens=args.tokens + 1, temperature=0, logit_bias=ban, stream=True, **options
        )
        seconds, n = time_stream(stream)
        assert n == args.tokens + 1, n
        return args.tokens / seconds

    for options in CONFIGS.values():
        run(options)  # warm-up
    rates: dict[str, list[float]] = {name: [] for name in CONFIGS}
    for _ in range(args.rounds):
        for name, options in CONFIGS.items():
            rates[name].append(run(options))
    base = statistics.median(rates["no hooks"])
    print(f"model {model.name}, vocabulary {llm.n_vocab()}, {args.threads} threads, {args.tokens} tokens")
    print(f"{'configuration':32} {'tok/s':>8} {'vs none':>8}")
    for name in CONFIGS:
        rate = statistics.median(rates[name])
        print(f"{name:32} {rate:8.1f} {rate / base:8.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
