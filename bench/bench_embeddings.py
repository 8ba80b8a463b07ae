"""Embeddings: 256 short texts through ``Llama.embed`` against llama-server's ``/v1/embeddings``, same model.

Ours: one ``Llama.embed(texts, normalize=True)`` call (inputs packed into
batches, one sequence each, up to ``n_batch`` tokens and ``n_seq_max``
sequences per ``llama_decode``).  Theirs: llama-server (the pinned build,
``--embeddings``, the same threads, ``-np`` as given) answering one
``/v1/embeddings`` request with all the texts (its slots take them in turn).
Each side is timed whole (best of ``--rounds``, after a warm-up); ratio =
llama-server's seconds / ours (above 1: we are faster).  Also the largest
difference between the two sides' vectors (both euclidean-normalized).

Models: ``bert`` (the random-weight BERT of ``llama_native.testing``, mean
pooling in its GGUF; 64 wide, 2 layers, so per-request costs dominate),
``bert-wide`` (the same at 384 wide, 6 layers, the shape of MiniLM/bge-small)
and ``smollm2`` (SmolLM2-135M-Instruct with ``--pooling mean`` on both sides).
``--flash-attn`` is passed to both sides (``flash_attn=None|False|True`` and
``-fa auto|off|on``).  ggml's CPU flash attention accumulates in F16 for a
batch under 64 tokens and in F32 (tiled) from 64 on, so a short text's vector
depends on the size of the batch it shared (1.4e-4 on ``bert``); with flash
attention on, ours packs short texts into batches under 64 tokens, the kernel
each takes alone (and in llama-server's batches of up to ``-np`` short texts).
Also printed: the largest difference between our vectors of the list and of
each text embedded alone.

Usage::

    python bench/bench_embeddings.py [--model bert|bert-wide|smollm2|PATH] [--threads 2] [--flash-attn auto|off|on]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from llama_native import Llama
from llama_native.constants import LLAMA_POOLING_TYPE_MEAN
from llama_native.llama_cpp_tools import LlamaServer
from llama_native.testing import SMOLLM2_MISSING, embedding_model_path, smollm2_model_path

TOPICS = ["pandas eat bamboo", "the capital of France", "a falling stock market", "how to bake bread",
          "rain in the mountains", "a football match", "quantum computers", "the history of Rome"]
TEXTS = [f"Note {i}: something about {TOPICS[i % len(TOPICS)]}, item {i * 7 % 13}." for i in range(256)]


def model_path(name: str) -> tuple[Path, bool]:
    """The file, and whether mean pooling must be chosen (a model whose GGUF names none)."""
    if name == "bert":
        return embedding_model_path("mean"), False
    if name == "bert-wide":
        return embedding_model_path("mean", n_embd=384, n_layer=6, n_head=12, n_ff=1536), False
    if name == "smollm2":
        path = smollm2_model_path()
        if path is None:
            sys.exit(SMOLLM2_MISSING)
        return Path(path), True
    return Path(name), False


def best_of(rounds: int, call: Any) -> tuple[float, Any]:
    call()  # warm-up
    best, out = float("inf"), None
    for _ in range(rounds):
        started = time.perf_counter()
        out = call()
        best = min(best, time.perf_counter() - started)
    return best, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="bert")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--np", type=int, default=4, help="llama-server's slots (-np; default 4, its default)")
    parser.add_argument("--seqs", type=int, default=16,
                        help="our sequences per llama_decode (n_parallel; an embedding context takes at least 16)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--flash-attn", choices=["auto", "off", "on"], default="auto")
    args = parser.parse_args()
    path, choose_mean = model_path(args.model)
    flash_attn = {"auto": None, "off": False, "on": True}[args.flash_attn]

    load: dict[str, Any] = dict(embedding=True, n_ctx=2048, n_batch=2048, n_ubatch=2048, n_threads=args.threads,
                                n_parallel=args.seqs, flash_attn=flash_attn)
    if choose_mean:
        load["pooling_type"] = LLAMA_POOLING_TYPE_MEAN
    llm = Llama(str(path), **load)
    ours_s, ours = best_of(args.rounds, lambda: llm.embed(TEXTS, normalize=True))
    alone = [llm.embed(text, normalize=True) for text in TEXTS]
    del llm

    server_args = ["--embeddings", "-np", str(args.np), "-b", "2048", "-ub", "2048"]
    server_args += ["--pooling", "mean"] if choose_mean else []
    server_args += ["-fa", args.flash_attn]
    with LlamaServer(path, threads=args.threads, n_ctx=2048 * args.np, args=server_args) as server:
        theirs_s, reply = best_of(args.rounds, lambda: server.post("/v1/embeddings", {"input": TEXTS}))
    theirs = [d["embedding"] for d in sorted(reply["data"], key=lambda d: d["index"])]
    diff = max(abs(a - b) for u, v in zip(ours, theirs) for a, b in zip(u, v))
    alone_diff = max(abs(a - b) for u, v in zip(ours, alone) for a, b in zip(u, v))
    print(f"model {path.name}, {len(TEXTS)} texts, {args.threads} threads, flash attention {args.flash_attn}")
    print(f"ours        {ours_s * 1000:8.1f} ms  ({len(TEXTS) / ours_s:7.1f} texts/s, up to {args.seqs} per decode)")
    print(f"llama-server{theirs_s * 1000:8.1f} ms  ({len(TEXTS) / theirs_s:7.1f} texts/s, -np {args.np})")
    print(f"ratio (llama-server s / ours) {theirs_s / ours_s:.2f}x; max vector difference {diff:.2e}")
    print(f"ours: max difference between the list's vectors and each text's alone {alone_diff:.2e}")


if __name__ == "__main__":
    main()
