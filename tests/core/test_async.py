"""Async completions: the event loop keeps running, cancelling stops generation and frees the context."""

from __future__ import annotations

import asyncio
import time

import pytest

from llama_native import Llama
from llama_native.testing import bench_model_path
from helpers import ENV_MODEL, no_eog_bias

MESSAGES = [{"role": "user", "content": "Count to ten."}]


@pytest.fixture(scope="module")
def slow_llm() -> Llama:
    """A model slow enough (128k vocabulary, 4 layers) that generation takes a noticeable time."""
    return Llama(str(ENV_MODEL or bench_model_path()), n_ctx=512, n_threads=2)


def test_heartbeat_keeps_ticking_during_generation(slow_llm: Llama) -> None:
    async def main():
        ticks = []
        done = asyncio.Event()

        async def heartbeat():
            while not done.is_set():
                ticks.append(time.perf_counter())
                await asyncio.sleep(0.005)

        beat = asyncio.create_task(heartbeat())
        start = time.perf_counter()
        out = await slow_llm.acreate_completion("Once upon a time", max_tokens=48, temperature=0,
                                                logit_bias=no_eog_bias(slow_llm))
        elapsed = time.perf_counter() - start
        done.set()
        await beat
        return out, ticks, elapsed

    out, ticks, elapsed = asyncio.run(main())
    assert out["usage"]["completion_tokens"] == 48
    gaps = [b - a for a, b in zip(ticks, ticks[1:])]
    # a blocked loop would give one tick and one gap as long as the generation
    assert len(ticks) >= 5, (len(ticks), elapsed)
    assert max(gaps) < elapsed / 2, (max(gaps), elapsed)


def test_async_stream_yields_deltas_and_equals_sync(slow_llm: Llama) -> None:
    kwargs = dict(max_tokens=12, temperature=0, logit_bias=no_eog_bias(slow_llm))
    sync_text = slow_llm.create_chat_completion(MESSAGES, **kwargs)["choices"][0]["message"]["content"]

    async def main():
        chunks = [c async for c in await slow_llm.acreate_chat_completion(MESSAGES, stream=True, **kwargs)]
        return chunks

    chunks = asyncio.run(main())
    deltas = [c["choices"][0]["delta"].get("content") for c in chunks if c["choices"][0]["delta"].get("content")]
    assert len(deltas) >= 3
    assert "".join(deltas) == sync_text
    assert chunks[-1]["usage"]["completion_tokens"] == 12


def _generated_so_far(llm: Llama) -> int:
    return sum(g.n_generated for g in llm._generations.loops())


def test_breaking_out_of_a_stream_stops_generation(slow_llm: Llama) -> None:
    async def main():
        stream = await slow_llm.acreate_completion("Once", max_tokens=400, stream=True, temperature=0,
                                                   logit_bias=no_eog_bias(slow_llm))
        n = 0
        async for _chunk in stream:
            n += 1
            if n == 3:
                break
        await stream.aclose()
        await asyncio.sleep(0.3)
        return n

    asyncio.run(main())
    assert not slow_llm._generations.loops()  # generation ended and released the context
    out = slow_llm.create_completion("Next caller", max_tokens=2, temperature=0)
    assert out["usage"]["completion_tokens"] <= 2


def test_cancelling_a_task_stops_generation_within_a_token(slow_llm: Llama) -> None:
    async def main():
        task = asyncio.create_task(slow_llm.acreate_completion("Once", max_tokens=400, temperature=0,
                                                                logit_bias=no_eog_bias(slow_llm)))
        await asyncio.sleep(0.15)
        running = _generated_so_far(slow_llm)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.sleep(0.3)
        return running

    running = asyncio.run(main())
    assert 0 < running < 400
    assert not slow_llm._generations.loops()
    assert slow_llm.create_completion("Again", max_tokens=1)["usage"]["completion_tokens"] <= 1


def test_concurrent_async_calls_all_complete_correctly(slow_llm: Llama) -> None:
    prompts = ["Alpha", "Beta", "Gamma"]
    expected = [slow_llm.create_completion(p, max_tokens=6, temperature=0)["choices"][0]["text"] for p in prompts]

    async def main():
        return await asyncio.gather(*(slow_llm.acreate_completion(p, max_tokens=6, temperature=0) for p in prompts))

    outs = asyncio.run(main())
    assert [o["choices"][0]["text"] for o in outs] == expected
