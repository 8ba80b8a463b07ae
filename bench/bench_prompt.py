"""Prompt processing speed: llama_native against llama.cpp's own llama-bench, same source, same model.

Prints our prompt tokens/s over llama-bench's ``pp`` figure (median of
interleaved rounds: one llama-bench run, then one of ours), both at their
defaults (flash attention auto, batch 512) and the same threads.  Ours is
a real completion call: the prompt decoded from an empty cache, then one
token sampled.

Usage::

    python bench/bench_prompt.py [--model PATH] [--threads 2] [--tokens 512] [--runs 7] [--quant Q4_0] [--repack 0|1]

Without ``--model`` it uses the random-weight benchmark model: llama-bpe
tokenizer (128k vocabulary), 512 wide, 4 layers, F16; ``--quant`` quantizes it with
llama.cpp's quantizer.  ``--repack`` is passed to llama-bench (on an AMX host its
default, 1, runs the AMX kernels; ours never does).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _timing import compare_with_llama_bench  # noqa: E402

from llama_native import Llama  # noqa: E402


def llama_bench_pp(binary: Path, model: Path, threads: int, tokens: int, extra: list[str]) -> float:
    out = subprocess.run(
        [str(binary), "-m", str(model), "-t", str(threads), "-p", str(tokens), "-n", "0", "-r", "1", "-o", "json",
         *extra],
        check=True, capture_output=True, text=True,
    )
    return statistics.median(json.loads(out.stdout)[0]["samples_ts"])


def ours_pp_runner(model: Path, threads: int, tokens: int):
    """A function that decodes a `tokens`-token prompt from an empty cache and returns prompt tok/s."""
    # n_ctx as llama-bench sets it (prompt + generated tokens); the package's defaults otherwise
    llm = Llama(str(model), n_ctx=tokens, n_threads=threads, n_threads_batch=threads, flash_attn=None)  # auto, as llama-bench
    vocab = llm.n_vocab()
    prompt = [(1000 + 7919 * i) % vocab for i in range(tokens)]  # fixed, arbitrary tokens, as llama-bench's random ones

    def one_run() -> float:
        llm.reset()
        start = time.perf_counter()
        out = llm.create_completion(prompt, max_tokens=1, temperature=0)
        seconds = time.perf_counter() - start
        assert out["usage"]["prompt_tokens"] == tokens and out["usage"]["prompt_tokens_details"]["cached_tokens"] == 0
        return tokens / seconds

    one_run()  # warm-up, as llama-bench does
    return one_run


def main() -> None:
    compare_with_llama_bench(__doc__.splitlines()[0], "pp", 512, 7, llama_bench_pp, ours_pp_runner)


if __name__ == "__main__":
    main()
