"""Jump-forward: decode calls for a MeetingInfo extraction, with and without it.

Under llguidance the text a schema forces (the next key under a fixed order,
``":"``, closing brackets, enum and const tails) is appended in its
canonical tokens without sampling.  Token-by-token decoding feeds those
tokens one decode call each; jump-forward decodes them together.  The script
runs the same greedy extraction both ways, stops unless the outputs are
byte-identical, and prints the decode calls and tokens/s of each, plus the
GBNF engine's token-by-token run (which samples every token itself).

Usage::

    python bench/bench_jump_forward.py [--model PATH] [--threads 2] [--json-whitespace free|compact|pretty]
    python bench/bench_jump_forward.py --model PATH --items [--rounds 3]

``--items`` runs the 62 chat extraction requests of ``extraction_items.py``
(``response_format`` JSON schema, greedy, free whitespace on llguidance: the
grammar the server and the integrations use) with jump-forward on and off,
alternating request by request, ``--rounds`` times; it stops unless both
give the same text, and prints the total wall time (median of rounds) and
decode calls of each.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from enum import Enum
from pathlib import Path
from typing import List

from pydantic import BaseModel, Field

from llama_native import Llama
from llama_native.testing import bench_model_path


class Status(str, Enum):
    planned = "planned"
    confirmed = "confirmed"
    cancelled = "cancelled"


class Attendee(BaseModel):
    name: str = Field(max_length=24)
    role: str = Field(max_length=16)


class MeetingInfo(BaseModel):
    title: str = Field(max_length=40)
    date: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")
    start_time: str = Field(pattern=r"^\d{2}:\d{2}$")
    location: str = Field(max_length=24)
    attendees: List[Attendee] = Field(min_length=1, max_length=3)
    status: Status
    online: bool


NOTES = (
    "Meeting notes. The quarterly review with Alice Johnson (CFO), Bob Smith (CTO) and Carol White "
    "(product lead) takes place on 2024-03-14 at 10:30 in Room 4B. It is confirmed and not online."
)
PROMPT = f"Extract the meeting as JSON.\n{NOTES}\nJSON:"


def run(model: Path, threads: int, engine: str, jump_forward: bool, whitespace: str = "free"):
    # flash attention auto, as llama-server: without it ggml's CPU attention rounds by batch and jump-forward's
    # batches could change later greedy picks (they did on SmolLM2)
    llm = Llama(str(model), n_ctx=1024, n_threads=threads, grammar_engine=engine, jump_forward=jump_forward,
                json_whitespace=whitespace, flash_attn=None)
    llm.create_completion(PROMPT, json_schema=MeetingInfo, temperature=0, max_tokens=8)  # warm-up
    llm.reset()
    start = time.perf_counter()
    out = llm.create_completion(PROMPT, json_schema=MeetingInfo, temperature=0, max_tokens=400)
    elapsed = time.perf_counter() - start
    stats = dict(llm.last_generation_stats)
    llm.close()
    return out["choices"][0], stats, elapsed


def items_ab(model: Path, threads: int, rounds: int) -> None:
    """Jump-forward on and off over the extraction items, alternating request by request."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_extraction import server_request
    from extraction_items import ITEMS

    sides = {
        flag: Llama(str(model), n_ctx=2048, n_threads=threads, grammar_engine="llguidance", jump_forward=flag,
                    json_whitespace="free", flash_attn=None, verbose=False)
        for flag in (True, False)
    }  # fmt: skip
    for llm in sides.values():
        llm.create_chat_completion(**server_request(ITEMS[0]))  # warm-up
    totals: dict[bool, list[float]] = {True: [], False: []}
    calls = {True: 0, False: 0}
    tokens = {True: 0, False: 0}
    for round_ in range(rounds):
        seconds = {True: 0.0, False: 0.0}
        for i, item in enumerate(ITEMS):
            texts = {}
            for flag in ((True, False) if i % 2 == 0 else (False, True)):
                start = time.perf_counter()
                reply = sides[flag].create_chat_completion(**server_request(item))
                seconds[flag] += time.perf_counter() - start
                texts[flag] = reply["choices"][0]["message"]["content"]
                if round_ == 0:
                    calls[flag] += sides[flag].last_generation_stats["decode_calls"]
                    tokens[flag] += reply["usage"]["completion_tokens"]
            if texts[True] != texts[False]:
                raise SystemExit(f"item {i}: outputs differ:\n{texts[True]!r}\n{texts[False]!r}")
        for flag in sides:
            totals[flag].append(seconds[flag])
    print(f"model: {model}   threads={threads}   {len(ITEMS)} extraction requests, greedy, free whitespace, "
          f"llguidance, {rounds} rounds (alternating request by request)")
    for flag, name in ((False, "token by token"), (True, "jump-forward")):
        runs = ", ".join(f"{t:.2f}" for t in totals[flag])
        print(f"{name:15s}: {statistics.median(totals[flag]):7.2f} s median ({runs}), {calls[flag]} decode calls, "
              f"{tokens[flag]} tokens")
    ratio = statistics.median(totals[False]) / statistics.median(totals[True])
    print(f"jump-forward: identical outputs, {1 - calls[True] / calls[False]:.1%} fewer decode calls, "
          f"speed {ratio:.3f}x token by token's")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--items", action="store_true", help="the 62 chat extraction requests, on and off")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json-whitespace", default="free", choices=["free", "compact", "pretty"],
                        help="what the schema's grammar allows between JSON tokens (default: the package's, free)")
    args = parser.parse_args()
    model = args.model or bench_model_path()
    if args.items:
        items_ab(model, args.threads, args.rounds)
        return
    rows = {
        "gbnf, token by token": run(model, args.threads, "gbnf", False, args.json_whitespace),
        "llguidance, token by token": run(model, args.threads, "llguidance", False, args.json_whitespace),
        "llguidance, jump-forward": run(model, args.threads, "llguidance", True, args.json_whitespace),
    }
    tbt = rows["llguidance, token by token"]
    jf = rows["llguidance, jump-forward"]
    if tbt[0]["text"] != jf[0]["text"]:
        raise SystemExit(f"outputs differ:\n{tbt[0]['text']!r}\n{jf[0]['text']!r}")
    print(f"model: {model}   threads={args.threads}   greedy, MeetingInfo, json_whitespace={args.json_whitespace}")
    print(f"output ({jf[0]['finish_reason']}, {jf[1]['generated_tokens']} tokens): {jf[0]['text']}")
    for name, (choice, stats, elapsed) in rows.items():
        print(f"{name:28s}: {stats['decode_calls']:4d} decode calls, {stats['generated_tokens']:4d} tokens, "
              f"{elapsed:6.2f} s (incl. prompt)")
    saved = 1 - jf[1]["decode_calls"] / tbt[1]["decode_calls"]
    print(f"jump-forward: identical output, {saved:.1%} fewer decode calls than token-by-token")


if __name__ == "__main__":
    main()
