"""Decode speed: llama_native against llama.cpp's own llama-bench, same source, same model.

Prints our decode tokens/s over llama-bench's ``tg`` figure (median of
several interleaved rounds: one llama-bench run, then one of ours).  llama-bench decodes without sampling; our figure is a
real generation (greedy sampling over the whole vocabulary, UTF-8 handling,
the hand-off of every token to Python), so a ratio near 1 means the whole
token loop costs next to nothing over llama.cpp's decode.

Usage::

    python bench/bench_decode.py [--model PATH] [--threads 2] [--tokens 128] [--runs 11] [--quant Q4_0] [--repack 0|1]

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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _timing import compare_with_llama_bench, time_stream  # noqa: E402

from llama_native import Llama  # noqa: E402


def llama_bench_tg(binary: Path, model: Path, threads: int, tokens: int, runs: int, extra: list[str]) -> float:
    out = subprocess.run(
        [str(binary), "-m", str(model), "-t", str(threads), "-p", "0", "-n", str(tokens),
         "-r", str(runs), "-o", "json", *extra],  # llama-bench's defaults otherwise (flash attention auto)
        check=True, capture_output=True, text=True,
    )
    result = json.loads(out.stdout)[0]
    return statistics.median(result["samples_ts"])


def ours_tg_runner(model: Path, threads: int, tokens: int):
    """A function that runs one measured generation of `tokens` decode steps and returns tok/s."""
    llm = Llama(str(model), n_ctx=512, n_threads=threads, n_threads_batch=threads, flash_attn=None)  # llama-bench's auto
    ban_eog = {t: float("-inf") for t in llm.eog_tokens()}
    prompt = [llm.token_bos()] if llm.token_bos() >= 0 else llm.tokenize(b"a")

    def one_run() -> float:
        llm.reset()
        stream = llm.create_completion(
            prompt, max_tokens=tokens + 1, temperature=0, logit_bias=ban_eog, stream=True
        )
        seconds, n = time_stream(stream)
        assert n == tokens + 1, n
        return tokens / seconds  # `tokens` decode+sample steps after the first

    one_run()  # warm-up, as llama-bench does
    return one_run


def main() -> None:
    def peer(binary: Path, model: Path, threads: int, tokens: int, extra: list[str]) -> float:
        return llama_bench_tg(binary, model, threads, tokens, 1, extra)

    compare_with_llama_bench(__doc__.splitlines()[0], "tg", 128, 11, peer, ours_tg_runner)


if __name__ == "__main__":
    main()
