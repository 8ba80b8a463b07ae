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
"""

from __future__ import annotations

import argparse
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
    llm = Llama(str(model), n_ctx=1024, n_threads=threads, grammar_engine=engine, jump_forward=jump_forward,
                json_whitespace=whitespace)
    llm.create_completion(PROMPT, json_schema=MeetingInfo, temperature=0, max_tokens=8)  # warm-up
    llm.reset()
    start = time.perf_counter()
    out = llm.create_completion(PROMPT, json_schema=MeetingInfo, temperature=0, max_tokens=400)
    elapsed = time.perf_counter() - start
    stats = dict(llm.last_generation_stats)
    llm.close()
    return out["choices"][0], stats, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json-whitespace", default="free", choices=["free", "compact", "pretty"],
                        help="what the schema's grammar allows between JSON tokens (default: the package's, free)")
    args = parser.parse_args()
    model = args.model or bench_model_path()
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
