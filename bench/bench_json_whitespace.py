"""JSON whitespace modes on a real model: accuracy and time of the 62 extraction items, and both peers.

Runs the items of ``extraction_items.py`` (the requests of
``bench_extraction.py``: chat, ``response_format`` json_schema, greedy,
``max_tokens=256``) through ``Llama.create_chat_completion`` under each
``json_whitespace`` mode (``free``, ``lcp``, ``llama-server``, ``compact``),
through ``Llama`` with llama-cpp-python's own ``SchemaConverter`` grammar,
through llama-cpp-python 0.3.36 itself (its venv: ``response_format``
json_object with the schema, the form it reads) and through llama-server
(same pinned llama.cpp), and prints each one's items right and wall time (and,
with the ``lcp`` and ``lcpgrammar`` rows, how many ``"lcp"`` replies equal
those of llama-cpp-python's grammar).

Usage::

    python bench/bench_json_whitespace.py [--model PATH] [--threads 2] [--lcp-python PATH] [--only free,lcp,...]
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _real_model import real_model, real_model_parser  # noqa: E402
from bench_extraction import server_request  # noqa: E402
from extraction_items import ITEMS, Item, is_right  # noqa: E402

from llama_native import Llama  # noqa: E402
from llama_native.compat._schema_converter import lcp_grammar_from_json_schema  # noqa: E402
from llama_native.llama_cpp_source import PINNED_VERSION, cache_dir  # noqa: E402
from llama_native.llama_cpp_tools import LlamaServer  # noqa: E402

LCP_PROGRAM = r"""
import json, sys, time
from llama_cpp import Llama
reqs = json.load(open(sys.argv[1]))
llm = Llama(sys.argv[2], n_ctx=2048, n_threads=int(sys.argv[3]), verbose=False)
def one(r):
    return llm.create_chat_completion(messages=r["messages"], response_format={"type": "json_object", "schema": r["schema"]},
                                      temperature=0, max_tokens=256)["choices"][0]["message"]["content"]
one(reqs[0])
start = time.perf_counter(); out = [one(r) for r in reqs]
print(json.dumps({"out": out, "secs": time.perf_counter() - start}))
"""


def right(contents: List[str]) -> int:
    """Items whose reply parses to the label, every field exact."""
    n = 0
    for item, content in zip(ITEMS, contents):
        try:
            n += is_right(item[0].model_validate_json(content), item[2])
        except Exception:  # an unparsable reply counts as wrong
            pass
    return n


def timed(reply: Callable[[Item], str]) -> Tuple[List[str], float]:
    start = time.perf_counter()
    out = [reply(item) for item in ITEMS]
    return out, time.perf_counter() - start


def main() -> None:
    parser = real_model_parser(__doc__.splitlines()[0])
    parser.add_argument("--lcp-python", type=Path, default=cache_dir() / f"lcp-venv-{PINNED_VERSION}" / "bin" / "python")
    parser.add_argument("--engine", default="auto", help="Llama's grammar_engine for our rows (auto, gbnf, llguidance)")
    parser.add_argument("--only", default=None, help="comma-separated rows: free,lcp,llama-server,compact,lcpgrammar,lcpvenv,server")
    args = parser.parse_args()
    model = str(real_model(args))
    only = set(args.only.split(",")) if args.only else None
    rows: Dict[str, Tuple[int, float]] = {}
    replies: Dict[str, List[str]] = {}

    def report(name: str, contents: List[str], secs: float) -> None:
        rows[name], replies[name] = (right(contents), secs), contents
        print(f"| {name} | {rows[name][0]}/{len(ITEMS)} | {secs:.1f} s |", flush=True)

    print(f"model: {model}\nitems: {len(ITEMS)}, threads={args.threads}, greedy, max_tokens=256\n")
    print("| engine | right | wall time |\n| --- | --- | --- |")
    llm = Llama(model, n_ctx=2048, n_threads=args.threads, verbose=False, grammar_engine=args.engine)
    llm.create_chat_completion(**server_request(ITEMS[0]))  # load and warm up outside the timings
    for mode in ("free", "lcp", "llama-server", "compact"):
        if only is None or mode in only:
            report(f'llama_native, json_whitespace="{mode}", grammar_engine="{args.engine}"', *timed(
                lambda it, m=mode: llm.create_chat_completion(**server_request(it), json_whitespace=m)[
                    "choices"][0]["message"]["content"]))  # fmt: skip
    if only is None or "lcpgrammar" in only:
        def lcp_grammar(item: Item) -> str:
            request = server_request(item)
            schema = request.pop("response_format")["json_schema"]["schema"]
            grammar = lcp_grammar_from_json_schema(json.dumps(schema), verbose=False)
            return str(llm.create_chat_completion(**request, grammar=grammar)["choices"][0]["message"]["content"])

        theirs = "llama_native, grammar = llama-cpp-python's SchemaConverter"
        report(theirs, *timed(lcp_grammar))
        ours = replies.get(f'llama_native, json_whitespace="lcp", grammar_engine="{args.engine}"')
        if ours is not None:
            same = sum(a == b for a, b in zip(ours, replies[theirs]))
            print(f'\n"lcp" replies equal to those of llama-cpp-python\'s grammar: {same}/{len(ITEMS)}\n', flush=True)
    del llm
    if (only is None or "lcpvenv" in only) and args.lcp_python.exists():
        requests: List[Dict[str, Any]] = []
        for item in ITEMS:
            request = server_request(item)
            requests.append({"messages": request["messages"], "schema": request["response_format"]["json_schema"]["schema"]})
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(requests, f)
        proc = subprocess.run([str(args.lcp_python), "-c", LCP_PROGRAM, f.name, model, str(args.threads)],
                              capture_output=True, text=True, cwd="/tmp", check=True)  # fmt: skip
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        report("llama-cpp-python 0.3.36, response_format json_object + schema", result["out"], result["secs"])
    if only is None or "server" in only:
        with LlamaServer(Path(model), threads=args.threads, n_ctx=2048) as server:
            server.post("/v1/chat/completions", server_request(ITEMS[0]))
            report("llama-server, response_format json_schema", *timed(
                lambda it: server.post("/v1/chat/completions", server_request(it))["choices"][0]["message"]["content"]))


if __name__ == "__main__":
    main()
