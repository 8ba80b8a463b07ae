"""Prefix cache across calls: time to the first token with a shared 1,000-token system prompt.

Three extractions share a long system prompt (instructions and a schema
skeleton); another prompt runs between the first and the second, so the
context no longer holds the shared prefix.  With ``LlamaRAMCache`` (and
``LlamaDiskCache``) the second call restores the saved state instead of
evaluating the prompt again.  Prints each call's time to the first token and
its ratio to the first call's (target: at most 0.2).

Usage::

    python bench/bench_prefix_cache.py [--model PATH] [--threads 2]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from llama_native import Llama, LlamaDiskCache, LlamaRAMCache
from llama_native.testing import bench_model_path

SCHEMA_SKELETON = '{"name": string, "age": integer, "email": string, "city": string, "tags": [string]}'


def system_prompt(llm: Llama, target_tokens: int = 1000) -> str:
    line = "Rule: copy names exactly as written, ages as integers, emails in lower case, cities in English. "
    text = f"You extract people as JSON shaped like {SCHEMA_SKELETON}.\n"
    while len(llm.tokenize(text.encode())) < target_tokens:
        text += line
    return text


def first_token_seconds(llm: Llama, prompt: str) -> float:
    start = time.perf_counter()
    for _ in llm.create_completion(prompt, max_tokens=2, temperature=0, stream=True):
        return time.perf_counter() - start
    raise RuntimeError("no token")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    model = str(args.model or bench_model_path())
    with tempfile.TemporaryDirectory() as tmp:
        caches = {"none": None, "LlamaRAMCache": LlamaRAMCache(1 << 30), "LlamaDiskCache": LlamaDiskCache(tmp, 1 << 30)}
        print(f"model: {model}   threads={args.threads}")
        for name, cache in caches.items():
            llm = Llama(model, n_ctx=2048, n_threads=args.threads)
            llm.set_cache(cache)
            first_token_seconds(llm, "Warm-up.")
            system = system_prompt(llm)
            n_system = len(llm.tokenize(system.encode()))
            first = first_token_seconds(llm, system + "Text: Jason is 30.\nJSON:")
            first_token_seconds(llm, "Unrelated prompt that replaces the context's tokens.")
            second = first_token_seconds(llm, system + "Text: Maria is 41.\nJSON:")
            print(f"cache={name:15s} system prompt {n_system} tokens: first call {first * 1000:7.1f} ms, "
                  f"after another prompt {second * 1000:7.1f} ms, ratio {second / first:.3f}")
            llm.close()


if __name__ == "__main__":
    main()
