"""Continuous batching on a parallel context (n_parallel > 1) and prompt caches across calls."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import List

import pytest
from pydantic import BaseModel, Field

from llama_native import Llama, LlamaDiskCache, LlamaRAMCache

from helpers import model_path_for


class Person(BaseModel):
    name: str = Field(max_length=10)
    age: int = Field(ge=0, le=120)


PROMPTS = [f"Person {i}: somebody aged {20 + i}.\nJSON:" for i in range(6)]


@pytest.fixture(scope="module", params=["synthetic", "llama-bpe"])
def path(request: pytest.FixtureRequest) -> Path:
    return model_path_for(request.param)


@pytest.fixture(scope="module")
def sequential(path: Path) -> Llama:
    # flash attention auto, the parallel context's default: both compute attention the same way (without
    # flash attention ggml's CPU kernels round differently, and seeded samples drifted apart on llama-bpe)
    return Llama(str(path), n_ctx=256, seed=3, flash_attn=None)


@pytest.fixture(scope="module")
def parallel(path: Path) -> Llama:
    return Llama(str(path), n_ctx=256, seed=3, n_parallel=4)


def _run_threads(fn, n: int) -> List:
    results: List = [None] * n

    def work(i: int) -> None:
        results[i] = fn(i)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    return results


def test_concurrent_outputs_equal_sequential_ones(sequential: Llama, parallel: Llama) -> None:
    kwargs = dict(json_schema=Person, temperature=0, max_tokens=40)
    want = [sequential.create_completion(p, **kwargs)["choices"][0]["text"] for p in PROMPTS]
    got = _run_threads(lambda i: parallel.create_completion(PROMPTS[i], **kwargs)["choices"][0]["text"], len(PROMPTS))
    assert got == want  # 6 requests on 4 sequences: two join as others finish


def test_sampled_outputs_depend_only_on_the_seed(sequential: Llama, parallel: Llama) -> None:
    kwargs = dict(temperature=1.0, max_tokens=16)
    want = [sequential.create_completion(p, seed=i, **kwargs)["choices"][0]["text"] for i, p in enumerate(PROMPTS[:4])]
    got = _run_threads(lambda i: parallel.create_completion(PROMPTS[i], seed=i, **kwargs)["choices"][0]["text"], 4)
    assert got == want


def test_usage_counts_and_streams_are_true(parallel: Llama) -> None:
    full = parallel.create_completion(PROMPTS[0], temperature=0, max_tokens=12)
    chunks = list(parallel.create_completion(PROMPTS[0], temperature=0, max_tokens=12, stream=True))
    assert "".join(c["choices"][0]["text"] for c in chunks) == full["choices"][0]["text"]
    tokens = parallel.tokenize(PROMPTS[0].encode())
    assert full["usage"]["prompt_tokens"] == len(tokens)
    assert full["usage"]["completion_tokens"] == parallel.last_generation_stats["generated_tokens"]
    # the same prompt again reuses its sequence's cached tokens
    again = parallel.create_completion(PROMPTS[0], temperature=0, max_tokens=12)
    assert again["usage"]["prompt_tokens_details"]["cached_tokens"] >= len(tokens) - 1


SYSTEM = (
    "You extract people from short texts. Answer with one JSON object holding the person's name and age, "
    "nothing else. Names are at most ten letters; ages are whole years.\n"
)


def test_a_shared_system_prompt_is_decoded_once(sequential: Llama, parallel: Llama) -> None:
    """Concurrent requests sharing a long beginning copy it from the sequence that decoded it."""
    prompts = [f"{SYSTEM}Text: person number {i} is {30 + i}.\nJSON:" for i in range(4)]
    kwargs = dict(json_schema=Person, temperature=0, max_tokens=40)
    want = [sequential.create_completion(p, **kwargs)["choices"][0]["text"] for p in prompts]
    parallel.reset()
    outs = _run_threads(lambda i: parallel.create_completion(prompts[i], **kwargs), len(prompts))
    assert [o["choices"][0]["text"] for o in outs] == want
    shared = len(parallel.tokenize(SYSTEM.encode()))
    cached = sorted(o["usage"]["prompt_tokens_details"]["cached_tokens"] for o in outs)
    # the first request decodes the system prompt; the others start from its copy
    assert cached[0] == 0
    assert all(c >= shared - 2 for c in cached[1:]), (cached, shared)


def test_long_forced_runs_in_a_batch_match_sequential(sequential: Llama, parallel: Llama) -> None:
    """Tokens a grammar forces (here a long const) are decoded apart from the sampled ones, same result."""
    schema = {
        "type": "object",
        "properties": {
            "note": {"const": "the meeting moved to next Thursday afternoon, room four"},
            "count": {"type": "integer", "minimum": 0, "maximum": 99},
        },
        "required": ["note", "count"],
        "additionalProperties": False,  # the const comes first: no extra key may stand before it
    }
    kwargs = dict(json_schema=schema, temperature=0, max_tokens=80)
    want = [sequential.create_completion(p, **kwargs)["choices"][0]["text"] for p in PROMPTS[:4]]
    assert all("Thursday afternoon" in w for w in want)
    parallel.reset()
    assert _run_threads(lambda i: parallel.create_completion(PROMPTS[i], **kwargs)["choices"][0]["text"], 4) == want


def test_requests_of_different_lengths_leave_exact_caches(sequential: Llama, parallel: Llama) -> None:
    """Requests finishing at different steps (idle sequences between busy ones) change no later output."""
    lengths = [3, 17, 6, 24]
    def run(llm: Llama, i: int) -> str:
        return llm.create_completion(PROMPTS[i], temperature=0, max_tokens=lengths[i])["choices"][0]["text"]

    want = [run(sequential, i) for i in range(4)]
    parallel.reset()
    for _ in range(2):  # the second round reuses what each sequence kept
        assert _run_threads(lambda i: run(parallel, i), 4) == want


def test_a_stream_can_be_cancelled_while_others_run(parallel: Llama) -> None:
    ban = {t: float("-inf") for t in parallel.eog_tokens()}
    stream = parallel.create_completion(PROMPTS[1], max_tokens=200, logit_bias=ban, stream=True)
    next(stream)
    other = threading.Thread(target=lambda: parallel.create_completion(PROMPTS[2], max_tokens=30, logit_bias=ban))
    other.start()
    start = time.perf_counter()
    stream.close()  # the request leaves the scheduler
    assert time.perf_counter() - start < 5
    other.join(timeout=60)
    assert not other.is_alive()
    # cancel() ends a running request at the scheduler's next step: the
    # stream stops (a cancelled stream has no finish chunk) long before the
    # context would be full
    running = parallel.create_completion(PROMPTS[3], max_tokens=None, logit_bias=ban, stream=True)
    next(running)
    parallel.cancel()
    rest = list(running)
    assert all(c["choices"][0]["finish_reason"] is None for c in rest)
    room = parallel.n_ctx() - len(parallel.tokenize(PROMPTS[3].encode()))
    assert parallel.last_generation_stats["generated_tokens"] < room


async def test_async_tasks_share_the_context(sequential: Llama, parallel: Llama) -> None:
    want = [sequential.create_completion(p, temperature=0, max_tokens=10)["choices"][0]["text"] for p in PROMPTS[:4]]
    got = await asyncio.gather(*(parallel.acreate_completion(p, temperature=0, max_tokens=10) for p in PROMPTS[:4]))
    assert [g["choices"][0]["text"] for g in got] == want


def test_parallel_errors_are_clear(parallel: Llama) -> None:
    with pytest.raises(ValueError, match="n_ctx"):
        parallel.create_completion("word " * 400, max_tokens=4)
    with pytest.raises(ValueError, match="n_parallel"):
        Llama(str(model_path_for("synthetic")), n_parallel=0)


def test_ram_cache_restores_a_prefix_after_other_prompts() -> None:
    llm = Llama(str(model_path_for("synthetic")), n_ctx=512)
    llm.set_cache(LlamaRAMCache(capacity_bytes=64 << 20))
    system = "Instructions that every extraction shares. " * 8
    llm.create_completion(system + "First question?", max_tokens=4, temperature=0)
    llm.create_completion("An unrelated prompt", max_tokens=4, temperature=0)
    out = llm.create_completion(system + "Second question?", max_tokens=4, temperature=0)
    n_system = len(llm.tokenize(system.encode()))
    assert out["usage"]["prompt_tokens_details"]["cached_tokens"] >= n_system - 1
    # the restored state gives the same tokens as evaluating the prompt afresh
    fresh = Llama(str(model_path_for("synthetic")), n_ctx=512)
    assert fresh.create_completion(system + "Second question?", max_tokens=4, temperature=0)["choices"][0]["text"] == \
        out["choices"][0]["text"]


def test_ram_cache_is_bounded_and_disk_cache_persists(tmp_path: Path) -> None:
    llm = Llama(str(model_path_for("synthetic")), n_ctx=256)
    small = LlamaRAMCache(capacity_bytes=1)
    llm.set_cache(small)
    llm.create_completion("Some prompt", max_tokens=2)
    assert len(small) == 0 and small.cache_size == 0  # a state larger than the cache is not kept
    disk = LlamaDiskCache(str(tmp_path), capacity_bytes=64 << 20)
    llm.set_cache(disk)
    llm.create_completion("A prompt worth keeping on disk", max_tokens=2, temperature=0)
    assert len(disk) == 1
    reopened = LlamaDiskCache(str(tmp_path), capacity_bytes=64 << 20)
    other = Llama(str(model_path_for("synthetic")), n_ctx=256)
    other.set_cache(reopened)
    out = other.create_completion("A prompt worth keeping on disk", max_tokens=2, temperature=0)
    assert out["usage"]["prompt_tokens_details"]["cached_tokens"] > 3
    with pytest.raises(TypeError):
        llm.set_cache({})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="n_parallel=1"):
        Llama(str(model_path_for("synthetic")), n_ctx=64, n_parallel=2).set_cache(LlamaRAMCache())
    with pytest.raises(ValueError):
        LlamaRAMCache(capacity_bytes=0)
