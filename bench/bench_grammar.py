"""Grammar-mask cost: JSON-Schema-constrained decoding against unconstrained decoding.

On a random-weight model nearly every sampled token is rejected by the
grammar, so the whole 128k vocabulary is masked at every step: the worst
case.  Prints decode tokens/s for unconstrained greedy decoding, for the same
decoding under a JSON Schema on llguidance (our default engine for schemas),
the same schema compiled by llguidance's own JSON Schema compiler instead of
ours (same engine), and on llama.cpp's GBNF engine (the engine llama-server
and llama-cpp-python use), each as a ratio to unconstrained.  Rounds are
interleaved (one of each, repeated) and the medians reported; the prompt is
not timed (from the first token to the last).

Usage::

    python bench/bench_grammar.py [--model PATH] [--threads 2] [--tokens 128] [--runs 7]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _timing import time_stream  # noqa: E402

from llama_native import Llama, LlamaGrammar
from llama_native.testing import bench_model_path

# Keeps a random model generating under tight constraints: short strings,
# at least 64 of them.
SCHEMA = {
    "type": "object",
    "properties": {"notes": {"type": "array", "items": {"type": "string", "maxLength": 12}, "minItems": 64}},
    "required": ["notes"],
    "additionalProperties": False,
}
PROMPT = "Write notes about the meeting as JSON:"


def runner(model: Path, threads: int, tokens: int, engine: str, schema, compiler: str = "ours"):
    """One timed generation under ``schema`` (None: unconstrained) on ``engine``, built by ``compiler``."""
    llm = Llama(str(model), n_ctx=512, n_threads=threads, n_threads_batch=threads, grammar_engine=engine,
                flash_attn=None)  # llama.cpp's auto, as the figures before Llama's default became llama-cpp-python's
    ban_eog = {t: float("-inf") for t in llm.eog_tokens()}
    grammar = None if schema is None else LlamaGrammar.from_json_schema(
        schema, compiler=compiler, whitespace="free", key_order="schema"
    )

    def one_run() -> float:
        stream = llm.create_completion(
            PROMPT, max_tokens=tokens + 1, temperature=0, logit_bias=ban_eog, grammar=grammar, stream=True
        )
        seconds, n = time_stream(stream)
        if n != tokens + 1:
            raise SystemExit(f"{engine}: generation ended after {n} tokens, expected {tokens + 1}")
        stats = llm.last_generation_stats
        if schema is not None and stats["grammar_engine"] != engine:
            raise SystemExit(f"asked for {engine}, ran on {stats['grammar_engine']}")
        return tokens / seconds

    one_run()  # warm-up (llguidance builds its view of the vocabulary once per model)
    return one_run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    model = args.model or bench_model_path()
    runs = {
        "unconstrained": runner(model, args.threads, args.tokens, "auto", None),
        "llguidance": runner(model, args.threads, args.tokens, "llguidance", SCHEMA),
        "llg compiler": runner(model, args.threads, args.tokens, "llguidance", SCHEMA, compiler="llguidance"),
        "gbnf": runner(model, args.threads, args.tokens, "gbnf", SCHEMA),
    }
    samples = {name: [] for name in runs}
    for _ in range(args.runs):
        for name, run in runs.items():
            samples[name].append(run())
    med = {name: statistics.median(values) for name, values in samples.items()}
    print(f"model: {model}")
    print(f"threads={args.threads} tokens={args.tokens} rounds={args.runs} (interleaved, median), greedy")
    for name in runs:
        print(f"{name:14s}: {med[name]:8.1f} tok/s   ratio to unconstrained {med[name] / med['unconstrained']:.3f}")


if __name__ == "__main__":
    main()
