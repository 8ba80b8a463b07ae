"""Schema extraction speed on a real model: the same 62 requests in process and through llama-server.

Every item of ``extraction_items.py`` becomes one OpenAI chat request with a
``response_format`` JSON schema (greedy, ``max_tokens=256``).  The same
requests run

* in process through ``Llama.create_chat_completion`` (the requests as they are),
* in process through ``ChatLlamaCpp(...).with_structured_output(schema, method="json_schema")``,
* through llama-server's ``/v1/chat/completions`` (built from the same pinned llama.cpp),

first one after another (``n_parallel=1`` against ``-np 1``), then 8 at once
(``n_parallel=8`` with 1024 tokens a sequence against ``-np 8 -c 8192``, a pool of 8 threads over the 62 items).
Each mode is run ``--rounds`` times, the sides interleaved, and the median wall
time reported with the completion tokens and the outputs valid for the schema.
Speed is llama-server's time / ours (above 1: ours is faster).  Each side
writes JSON its own way (ours lets the model choose its whitespace), so the
token counts are printed beside the times.

Usage::

    python bench/bench_extraction_speed.py [--model PATH] [--threads 2] [--rounds 3] [--limit N]
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _peers import LlamaServer  # noqa: E402
from _real_model import real_model, real_model_parser  # noqa: E402
from bench_extraction import MAX_TOKENS, server_request  # noqa: E402
from extraction_items import ITEMS, Item, messages_for  # noqa: E402

from langchain_llama_native import ChatLlamaCpp  # noqa: E402
from llama_native import Llama  # noqa: E402

Extract = Callable[[Item], tuple[int, bool]]  # (completion tokens, valid for the schema)


def run(extract: Extract, items: list[Item], workers: int) -> tuple[float, int, int]:
    """(seconds, completion tokens, valid outputs) of ``extract`` over ``items`` with ``workers`` threads."""
    start = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        results = list(pool.map(extract, items))
    return time.perf_counter() - start, sum(n for n, _ in results), sum(ok for _, ok in results)


def valid(item: Item, text: str) -> bool:
    """Whether ``text`` parses as the item's pydantic model."""
    try:
        item[0].model_validate_json(text)
        return True
    except ValueError:
        return False


def in_process(llm: Llama) -> Extract:
    """The request as it is, through ``Llama.create_chat_completion``."""
    def extract(item: Item) -> tuple[int, bool]:
        reply = llm.create_chat_completion(**server_request(item))
        return reply["usage"]["completion_tokens"], valid(item, reply["choices"][0]["message"]["content"])

    return extract


def langchain(chat: ChatLlamaCpp) -> Extract:
    """The item through ``with_structured_output(schema, method="json_schema")``."""
    def extract(item: Item) -> tuple[int, bool]:
        out = chat.with_structured_output(item[0], method="json_schema", include_raw=True).invoke(
            messages_for(item[1])
        )
        usage = out["raw"].usage_metadata or {}
        return usage.get("output_tokens", 0), out["parsed"] is not None and out["parsing_error"] is None

    return extract


def served(server: LlamaServer) -> Extract:
    """The request as it is, to llama-server's ``/v1/chat/completions``."""
    def extract(item: Item) -> tuple[int, bool]:
        reply = server.post("/v1/chat/completions", server_request(item))
        return reply["usage"]["completion_tokens"], valid(item, reply["choices"][0]["message"]["content"])

    return extract


def measure(sides: dict[str, Extract], items: list[Item], workers: int, rounds: int) -> dict[str, list[Any]]:
    """Each side's runs over ``items`` (``rounds`` times, interleaved, after a warm-up)."""
    for extract in sides.values():
        extract(items[0])  # warm-up
    out: dict[str, list[Any]] = {name: [] for name in sides}
    for _ in range(rounds):
        for name, extract in sides.items():
            out[name].append(run(extract, items, workers))
    return out


def report(title: str, results: dict[str, list[Any]], peer: str) -> None:
    """A markdown table of ``results``, speed against ``peer``."""
    peer_time = statistics.median(r[0] for r in results[peer])
    print(f"\n{title}\n| side | median wall time | completion tokens | valid | speed (llama-server / side) |")
    print("| --- | --- | --- | --- | --- |")
    for name, runs in results.items():
        seconds = statistics.median(r[0] for r in runs)
        print(f"| {name} | {seconds:.2f} s | {runs[-1][1]} | {runs[-1][2]}/{N_ITEMS} | {peer_time / seconds:.2f}x |")


N_ITEMS = len(ITEMS)


def main() -> None:
    """Run every side one after another, then 8 at once, and print both tables."""
    global N_ITEMS
    parser = real_model_parser(__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--limit", type=int, default=None, help="only the first N items")
    args = parser.parse_args()
    model = real_model(args)
    items = ITEMS[: args.limit] if args.limit else ITEMS
    N_ITEMS = len(items)
    print(f"model: {model}\nitems: {len(items)}, threads={args.threads}, greedy, max_tokens={MAX_TOKENS}, "
          f"rounds={args.rounds} (interleaved, median)")  # fmt: skip

    common: dict[str, Any] = {"n_threads": args.threads, "verbose": False, "flash_attn": None}  # llama-server's auto
    llm = Llama(str(model), n_ctx=2048, **common)
    chat = ChatLlamaCpp(model_path=str(model), n_ctx=2048, n_threads=args.threads, temperature=0,
                        max_tokens=MAX_TOKENS)  # fmt: skip
    with LlamaServer(model, threads=args.threads, n_ctx=2048, args=["-np", "1"]) as server:
        sequential = measure(
            {"llama-server -np 1": served(server), "Llama.create_chat_completion": in_process(llm),
             "ChatLlamaCpp.with_structured_output": langchain(chat)},
            items, 1, args.rounds,
        )  # fmt: skip
    del llm, chat
    report("one after another", sequential, "llama-server -np 1")

    llm8 = Llama(str(model), n_ctx=1024, n_parallel=8, **common)
    chat8 = ChatLlamaCpp(model_path=str(model), n_ctx=1024, n_parallel=8, n_threads=args.threads, temperature=0,
                         max_tokens=MAX_TOKENS)  # fmt: skip
    with LlamaServer(model, threads=args.threads, n_ctx=8 * 1024, args=["-np", "8"]) as server:
        concurrent = measure(
            {"llama-server -np 8": served(server), "Llama(n_parallel=8)": in_process(llm8),
             "ChatLlamaCpp(n_parallel=8)": langchain(chat8)},
            items, 8, args.rounds,
        )  # fmt: skip
    report("8 at once", concurrent, "llama-server -np 8")


if __name__ == "__main__":
    main()
