"""Every reply's ``timings`` (llama-server's fields plus the grammar's cost): present and consistent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from helpers import model_path_for

from llama_native import Llama, _llguidance
from llama_native.testing import synthetic_model_path
from llama_native.timings import from_server, make_timings, ollama_durations, perf_summary

LLAMA_SERVER_FIELDS = (
    "prompt_n", "prompt_ms", "prompt_per_token_ms", "prompt_per_second",
    "predicted_n", "predicted_ms", "predicted_per_token_ms", "predicted_per_second", "cache_n",
)  # fmt: skip
OURS = ("queue_ms", "ttft_ms", "grammar_ms", "jump_forward_n")


@pytest.fixture(scope="module")
def path() -> Path:
    return synthetic_model_path()


def fresh(path: Path, **kw: Any) -> Llama:
    return Llama(str(path), n_ctx=256, n_batch=64, seed=7, **kw)


def check(result: dict[str, Any]) -> dict[str, Any]:
    """The reply's timings, checked against its usage and against themselves."""
    t = result["timings"]
    usage = result["usage"]
    for key in LLAMA_SERVER_FIELDS + OURS:
        assert key in t, key
    for key in ("prompt_n", "predicted_n", "cache_n", "jump_forward_n"):
        assert isinstance(t[key], int) and t[key] >= 0, (key, t[key])
    for key in ("prompt_ms", "predicted_ms", "queue_ms", "ttft_ms", "grammar_ms"):
        assert isinstance(t[key], float) and t[key] >= 0.0, (key, t[key])
    assert t["predicted_n"] == usage["completion_tokens"]
    assert t["prompt_n"] + t["cache_n"] == usage["prompt_tokens"]
    assert t["cache_n"] == usage["prompt_tokens_details"]["cached_tokens"]
    if t["predicted_ms"] > 0 and t["predicted_n"] > 0:
        assert t["predicted_per_second"] == pytest.approx(1e3 * t["predicted_n"] / t["predicted_ms"])
        assert t["predicted_per_token_ms"] == pytest.approx(t["predicted_ms"] / t["predicted_n"])
    if t["prompt_ms"] > 0 and t["prompt_n"] > 0:
        assert t["prompt_per_second"] == pytest.approx(1e3 * t["prompt_n"] / t["prompt_ms"])
    # the first token comes after the queue and the prompt; the grammar's time is part of generation
    assert t["ttft_ms"] + 1e-6 >= t["queue_ms"] + t["prompt_ms"]
    assert t["grammar_ms"] <= t["predicted_ms"] + t["prompt_ms"] + t["queue_ms"] + 1e-6 or t["predicted_n"] == 0
    assert t["jump_forward_n"] <= t["predicted_n"]
    return t


def test_completion_carries_timings(path: Path) -> None:
    llm = fresh(path)
    first = check(llm.create_completion("one two three four five", max_tokens=6, temperature=0))
    assert first["cache_n"] == 0 and first["prompt_n"] > 0 and first["predicted_n"] > 0
    assert first["prompt_ms"] > 0 and first["predicted_ms"] > 0
    assert first["grammar_ms"] == 0.0 and first["jump_forward_n"] == 0  # no grammar
    again = check(llm.create_completion("one two three four five six", max_tokens=6, temperature=0))
    assert again["cache_n"] > 0 and again["prompt_n"] < first["prompt_n"] + 2  # the prefix came from the KV cache
    assert llm.last_generation_stats["timings"] == again


def test_streamed_last_chunk_matches_the_whole_reply(path: Path) -> None:
    whole = check(fresh(path).create_completion("alpha beta gamma", max_tokens=8, temperature=0))
    chunks = list(fresh(path).create_completion("alpha beta gamma", max_tokens=8, temperature=0, stream=True))
    assert all("timings" not in c for c in chunks[:-1])
    last = check(chunks[-1])
    for key in ("prompt_n", "predicted_n", "cache_n", "jump_forward_n"):
        assert last[key] == whole[key], key


def test_chat_carries_timings_whole_and_streamed(path: Path) -> None:
    llm = fresh(path)
    messages = [{"role": "user", "content": "hello there"}]
    whole = check(llm.create_chat_completion(messages, max_tokens=5, temperature=0))
    chunks = list(fresh(path).create_chat_completion(messages, max_tokens=5, temperature=0, stream=True))
    last = check(chunks[-1])
    assert (last["prompt_n"], last["predicted_n"]) == (whole["prompt_n"], whole["predicted_n"])


def test_grammar_time_is_measured(path: Path) -> None:
    llm = fresh(path, grammar_engine="gbnf")
    schema = {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]}
    out = llm.create_completion("x", max_tokens=12, temperature=0, json_schema=schema)
    t = check(out)
    assert t["grammar_ms"] > 0.0
    assert llm.last_generation_stats["grammar_engine"] == "gbnf"


@pytest.mark.skipif(not _llguidance.available(), reason="llguidance is not installed")
def test_jump_forward_tokens_are_counted(path: Path) -> None:
    schema = {"type": "object", "properties": {"a_long_forced_key_name": {"type": "integer"}},
              "required": ["a_long_forced_key_name"], "additionalProperties": False}  # fmt: skip
    llm = Llama(str(model_path_for("llama-bpe")), n_ctx=256, grammar_engine="llguidance")
    t = check(llm.create_completion("x", max_tokens=30, temperature=0, json_schema=schema, json_whitespace="compact"))
    assert t["jump_forward_n"] > 0 and t["grammar_ms"] > 0.0
    assert llm.last_generation_stats["forced_tokens"] == t["jump_forward_n"]


def test_parallel_context_times_queue_and_prompt(path: Path) -> None:
    llm = Llama(str(path), n_ctx=512, n_batch=64, n_parallel=2, seed=7)
    whole = check(llm.create_completion("red green blue", max_tokens=5, temperature=0))
    assert whole["prompt_ms"] > 0 and whole["predicted_n"] > 0
    last = check(list(llm.create_completion("red green blue", max_tokens=5, temperature=0, stream=True))[-1])
    assert last["cache_n"] > 0  # the second request found the prompt in its slot


def test_make_timings_and_conversions() -> None:
    t = make_timings(10, 5.0, 4, 20.0, 2, queue_ms=1.0)
    assert (t["prompt_per_second"], t["predicted_per_second"], t["predicted_per_token_ms"]) == (2000.0, 200.0, 5.0)
    zero = make_timings(0, 0.0, 0, 0.0)
    assert zero["prompt_per_second"] == 0.0 and zero["predicted_per_token_ms"] == 0.0  # no division by zero
    with pytest.raises(ValueError, match="must not be negative"):
        make_timings(-1, 1.0, 1, 1.0)
    ns = ollama_durations(t)
    assert ns == {"total_duration": 26_000_000, "load_duration": 0, "prompt_eval_count": 10,
                  "prompt_eval_duration": 5_000_000, "eval_count": 4, "eval_duration": 20_000_000}  # fmt: skip
    assert from_server(None) is None and from_server({"content": "x"}) is None
    server = from_server({"prompt_n": 3, "prompt_ms": 1.5, "predicted_n": 2, "predicted_ms": 4.0, "cache_n": 5,
                          "draft_n": 4, "draft_n_accepted": 3})  # fmt: skip
    assert server is not None and server["cache_n"] == 5 and server["draft_n_accepted"] == 3
    lines = perf_summary(t)
    assert any("prompt eval time" in line and "10 tokens" in line for line in lines)
    assert all("\r" not in line for line in lines)
