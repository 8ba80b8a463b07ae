"""Score a GGUF on held-out synthetic conversations of each job, through llama-native's runtime with grammars.

    python training/evaluate_micro_model.py [MODEL.gguf] [--per-job 40] [--seed 99]

Conversations come from ``micro_data`` with a seed the training never used
(new names, numbers and phrasings drawn from the same generators).  Each is
run as a user would run it: extraction with ``response_format`` (a JSON
schema; json_mode for the key-naming job), tool calls with ``tools`` and
``tool_choice="auto"`` (the model itself decides to call), greedy decoding.
A reply counts as right when it equals the expected one exactly (parsed JSON
for structured jobs, function name and arguments for calls; for jokes the keys,
for answers from a tool's result that the result is in the answer).  The figures
go into the model card.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any, Dict

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import micro_data  # noqa: E402


def run(llm: Any, example: micro_data.Example) -> bool:
    kwargs: Dict[str, Any] = {"temperature": 0, "max_tokens": 200}
    if example.tools:
        kwargs["tools"] = example.tools
        kwargs["tool_choice"] = "auto"
    elif example.meta.get("json_mode"):
        kwargs["response_format"] = {"type": "json_object"}
    elif example.schema is not None:
        kwargs["response_format"] = {"type": "json_schema", "json_schema": {"name": "out", "schema": example.schema}}
        kwargs["schema_prompt"] = example.schema_prompt
    message = llm.create_chat_completion(example.messages, **kwargs)["choices"][0]["message"]
    if example.job == "tool_call":
        calls = message.get("tool_calls") or []
        expected = json.loads(example.reply[len("<tool_call>"):-len("</tool_call>")])
        return len(calls) == 1 and calls[0]["function"]["name"] == expected["name"] and \
            json.loads(calls[0]["function"]["arguments"]) == expected["arguments"]
    if message.get("tool_calls"):
        return False
    content = message.get("content") or ""
    if example.job in ("extract", "json_mode"):
        try:
            got, expected = json.loads(content), json.loads(example.reply)
        except ValueError:
            return False
        if "joke" in example.messages[-1]["content"]:  # which joke is the model's choice: the keys must match
            return isinstance(got, dict) and list(got) == list(expected)
        return got == expected
    if example.job == "tool_answer":  # the wording varies: the tool's result must be in the answer
        return example.messages[-1]["content"] in content
    return content.strip() == example.reply.strip()


def evaluate(model: str, per_job: int, seed: int, json_whitespace: str = "free") -> Dict[str, float]:
    from llama_native import Llama

    llm = Llama(model, n_ctx=2048, n_threads=2, json_whitespace=json_whitespace)
    counts: Dict[str, list] = defaultdict(lambda: [0, 0])
    pool = micro_data.examples(seed, per_job * 12)
    for example in pool:
        done = counts[example.job]
        if done[1] >= per_job:
            continue
        done[1] += 1
        done[0] += run(llm, example)
    return {job: right / total for job, (right, total) in sorted(counts.items())}


def main() -> int:
    from llama_native import default_model_path

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model", nargs="?", default=None, help="GGUF file (default: the embedded model)")
    ap.add_argument("--per-job", type=int, default=40)
    ap.add_argument("--seed", type=int, default=99, help="held-out seed (training used 1234)")
    ap.add_argument("--json-whitespace", default="free", choices=["free", "compact", "pretty"],
                    help="what JSON grammars allow between tokens (the package's default: free)")
    args = ap.parse_args()
    scores = evaluate(args.model or str(default_model_path(embedded=True)), args.per_job, args.seed, args.json_whitespace)
    for job, score in scores.items():
        print(f"{job:12s} {score:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
