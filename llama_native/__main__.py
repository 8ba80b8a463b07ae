"""Command line: ``python -m llama_native demo [--model PATH]`` (also ``llama-native demo``).

The demo streams a completion to the terminal, then runs a grammar-constrained
extraction and prints the parsed JSON object.  Until the embedded default model
ships, running it without ``--model`` writes a tiny random-weight model (its
text is meaningless, but the JSON it produces is always valid).

Example::

    python -m llama_native demo --model ~/models/qwen2.5-0.5b-instruct-q4_k_m.gguf
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import List, Optional

EXTRACTION_GRAMMAR = r'''
root   ::= "{" "\"name\": " string ", \"age\": " age "}"
string ::= "\"" [A-Za-z ]{1,24} "\""
age    ::= [1-9] [0-9]?
'''


def _default_model() -> str:
    try:
        from .testing import synthetic_model_path
    except ImportError as exc:  # gguf is an optional dependency
        raise SystemExit(f"no --model given and the test-model writer needs `pip install gguf` ({exc})")
    print("[demo] no --model given: using a tiny random-weight model (its text is noise; "
          "the structure is real)", file=sys.stderr)
    return str(synthetic_model_path())


def demo(model: Optional[str], max_tokens: int, seed: int, n_ctx: int) -> int:
    from . import Llama, LlamaGrammar

    path = model or _default_model()
    llm = Llama(path, n_ctx=n_ctx, seed=seed)
    text = "Jason is 30 years old and lives in Paris."

    print(f"model: {path}\n\n1) streaming completion:")
    prompt = f"Text: {text}\nSummary:"
    print(prompt, end="", flush=True)
    for chunk in llm(prompt, max_tokens=max_tokens, stream=True, temperature=0.7):
        print(chunk["choices"][0]["text"], end="", flush=True)
        if chunk["choices"][0]["finish_reason"]:
            usage = chunk["usage"]
    print(f"\n   [{usage['completion_tokens']} tokens, finish: {chunk['choices'][0]['finish_reason']}]")

    print("\n2) grammar-constrained extraction (always valid JSON):")
    grammar = LlamaGrammar.from_string(EXTRACTION_GRAMMAR)
    extraction = (
        "Extract the person's name and age as JSON.\n"
        f"Text: {text}\nJSON: "
    )
    out = llm(extraction, grammar=grammar, max_tokens=64, temperature=0.2)
    raw = out["choices"][0]["text"]
    print(f"   raw   : {raw}")
    print(f"   parsed: {json.loads(raw)}")
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="llama-native", description="llama-native command line")
    sub = parser.add_subparsers(dest="command", required=True)
    p_demo = sub.add_parser("demo", help="stream a completion and run a schema-guided extraction")
    p_demo.add_argument("--model", help="path to a GGUF model (default: the built-in demo model)")
    p_demo.add_argument("--max-tokens", type=int, default=48, help="tokens to stream (default 48)")
    p_demo.add_argument("--seed", type=int, default=1, help="sampling seed (default 1)")
    p_demo.add_argument("--n-ctx", type=int, default=2048, help="context size (default 2048)")
    args = parser.parse_args(argv)
    if args.command == "demo":
        return demo(args.model, args.max_tokens, args.seed, args.n_ctx)
    return 2


if __name__ == "__main__":
    sys.exit(main())
