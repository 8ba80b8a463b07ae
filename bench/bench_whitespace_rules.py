"""Which whitespace rule a real model extracts best under: ours against llama.cpp's exact one.

The package's default (``whitespace="free"``) is llama.cpp's space rule with
two refinements: no whitespace between a declared key and its colon, and none
after the whole document.  This runs the labelled items of
``extraction_items.py`` through the chat API on one model under four
grammars made from the same schema, on the same engine (llguidance, raw
grammar), greedy: ours; ours plus whitespace before a key's colon; ours plus
whitespace after the document; both (llama.cpp's rule exactly).  It prints
each one's accuracy (every field exact), completion tokens and wall time.

Usage::

    python bench/bench_whitespace_rules.py [--model PATH] [--threads 2]
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from extraction_items import ITEMS, is_right, messages_for  # noqa: E402

from llama_native import Llama, LlamaGrammar  # noqa: E402
from llama_native.schema import json_schema_to_gbnf  # noqa: E402
from _real_model import real_model, real_model_parser  # noqa: E402

# a declared key's rule: `name-kv ::= "\"key\"" ":" space value`
_KV = re.compile(r'^(\S+-kv ::= "(?:\\.|[^"\\])*") ":"', re.M)
_ROOT = re.compile(r"^root ::= (.*)$", re.M)


def key_space(gbnf: str) -> str:
    """Allow whitespace between each declared key and its colon (llama.cpp does)."""
    return _KV.sub(r'\1 space ":"', gbnf)


def trailing_space(gbnf: str) -> str:
    """Allow whitespace after the whole document (llama.cpp does)."""
    return _ROOT.sub(r"root ::= (\1) space", gbnf, count=1)


VARIANTS = {
    "ours (default)": lambda g: g,
    "+ space before a key's colon": key_space,
    "+ space after the document": trailing_space,
    "llama.cpp's rule (both)": lambda g: trailing_space(key_space(g)),
}


def main() -> None:
    parser = real_model_parser(__doc__.splitlines()[0])
    args = parser.parse_args()
    model = real_model(args)
    llm = Llama(str(model), n_ctx=2048, n_threads=args.threads, grammar_engine="llguidance")
    print(f"model: {model}\nitems: {len(ITEMS)}, greedy, max_tokens=256, llguidance engine for every variant")
    print("\n| grammar | right | completion tokens | wall time |\n| --- | --- | --- | --- |")
    for name, transform in VARIANTS.items():
        right = tokens = 0
        start = time.perf_counter()
        for cls, text, expected in ITEMS:
            grammar = LlamaGrammar(transform(json_schema_to_gbnf(cls)))
            out = llm.create_chat_completion(messages_for(text), grammar=grammar, temperature=0, max_tokens=256)
            tokens += out["usage"]["completion_tokens"]
            try:
                right += is_right(cls.model_validate_json(out["choices"][0]["message"]["content"]), expected)
            except ValueError:
                pass  # cut by max_tokens, or a value the schema refuses: wrong
        print(f"| {name} | {right}/{len(ITEMS)} | {tokens} | {time.perf_counter() - start:.1f} s |")


if __name__ == "__main__":
    main()
