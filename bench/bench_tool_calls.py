"""Forced tool calls on a real model: llama_native against llama.cpp's llama-server.

Labelled requests (which tool, which arguments) with two tools offered and
``tool_choice="required"``, greedy, on the same model and messages: our chat
API (calls capped at one per tool, syntax from the template or ours) and
llama-server's OpenAI endpoint (``--jinja``, its own tool-call grammar and
parser).  Prints, for each: replies with at least one call, replies whose
first call is exactly right (name and arguments), calls per reply, replies
that repeat an identical call, and wall time.

``--chat-template FILE`` runs both on another template (ours sets
``llm.chat_template``, llama-server gets ``--chat-template-file``): with one
that has a tool syntax (Qwen2.5's Hermes ``<tool_call>``, ChatML like
SmolLM2's own), requests go through llama.cpp's chat layer on our side too.

Usage::

    python bench/bench_tool_calls.py [--model PATH] [--threads 2] [--chat-template FILE]
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _peers import LlamaServer  # noqa: E402

from llama_native import Llama  # noqa: E402
from _real_model import real_model, real_model_parser  # noqa: E402

TOOLS = [
    {"type": "function", "function": {"name": "get_weather", "description": "Get the current weather in a city",
                                      "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                                                     "required": ["city"]}}},
    {"type": "function", "function": {"name": "multiply", "description": "Multiply two integers",
                                      "parameters": {"type": "object",
                                                     "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
                                                     "required": ["a", "b"]}}},
]

ITEMS: list[tuple[str, str, dict[str, Any]]] = [
    ("What is the weather in Paris?", "get_weather", {"city": "Paris"}),
    ("Is it raining in London right now?", "get_weather", {"city": "London"}),
    ("Tell me the weather in Tokyo.", "get_weather", {"city": "Tokyo"}),
    ("How warm is it in Madrid today?", "get_weather", {"city": "Madrid"}),
    ("Weather for Berlin, please.", "get_weather", {"city": "Berlin"}),
    ("What is 6 times 7?", "multiply", {"a": 6, "b": 7}),
    ("Multiply 12 by 3.", "multiply", {"a": 12, "b": 3}),
    ("What is 9 multiplied by 8?", "multiply", {"a": 9, "b": 8}),
    ("Compute 15 * 4.", "multiply", {"a": 15, "b": 4}),
    ("What do you get when you multiply 5 and 11?", "multiply", {"a": 5, "b": 11}),
]
MAX_TOKENS = 200


def calls_of(reply: dict[str, Any]) -> list[tuple[str, Any]]:
    """(name, parsed arguments) of each call in a chat.completion reply."""
    out = []
    for call in reply["choices"][0]["message"].get("tool_calls") or []:
        try:
            arguments = json.loads(call["function"]["arguments"])
        except ValueError:
            arguments = call["function"]["arguments"]
        out.append((call["function"]["name"], arguments))
    return out


def score(ask: Any) -> tuple[int, int, list[int], int, float]:
    """(replies with a call, first call right, calls per reply, replies repeating a call, seconds)."""
    with_call = right = repeats = 0
    counts = []
    start = time.perf_counter()
    for text, name, arguments in ITEMS:
        calls = calls_of(ask([{"role": "user", "content": text}]))
        counts.append(len(calls))
        with_call += bool(calls)
        right += bool(calls) and calls[0] == (name, arguments)
        repeats += any(call in calls[:i] for i, call in enumerate(calls))
    return with_call, right, counts, repeats, time.perf_counter() - start


def main() -> None:
    parser = real_model_parser(__doc__.splitlines()[0])
    parser.add_argument("--chat-template", type=Path, default=None, help="a Jinja template file for both engines")
    args = parser.parse_args()
    model = real_model(args)
    request = dict(tools=TOOLS, tool_choice="required", temperature=0, max_tokens=MAX_TOKENS)
    llm = Llama(str(model), n_ctx=2048, n_threads=args.threads)
    server_args: list[str] = []
    if args.chat_template is not None:
        llm.chat_template = args.chat_template.read_text()
        server_args = ["--chat-template-file", str(args.chat_template)]
    results = {"llama_native": score(lambda messages: llm.create_chat_completion(messages, **request))}
    with LlamaServer(model, threads=args.threads, n_ctx=2048, args=server_args) as server:
        results["llama-server"] = score(
            lambda messages: server.post("/v1/chat/completions", {"messages": messages, **request})
        )
    print(f"model: {model}, template: {args.chat_template or 'the GGUF'}")
    print(f"{len(ITEMS)} requests, 2 tools, tool_choice=required, greedy, max_tokens={MAX_TOKENS}")
    print("\n| engine | replies with a call | first call right | calls per reply | replies repeating a call | wall time |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, (with_call, right, counts, repeats, seconds) in results.items():
        print(f"| {name} | {with_call}/{len(ITEMS)} | {right}/{len(ITEMS)} | {counts} | {repeats}/{len(ITEMS)} "
              f"| {seconds:.1f} s |")


if __name__ == "__main__":
    main()
