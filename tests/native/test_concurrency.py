"""One lock per context, cancellation from another thread and by Ctrl-C."""

from __future__ import annotations

import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from llama_native import Llama
from helpers import no_eog_bias

PROMPT = "List some numbers:"


def test_concurrent_callers_get_their_sequential_results(llm: Llama) -> None:
    def run(seed: int) -> str:
        out = llm(PROMPT + str(seed), max_tokens=24, seed=seed, temperature=1.0, logit_bias=no_eog_bias(llm))
        return out["choices"][0]["text"]

    seeds = list(range(8))
    sequential = [run(s) for s in seeds]
    with ThreadPoolExecutor(max_workers=4) as pool:
        concurrent = list(pool.map(run, seeds))
    assert concurrent == sequential


def test_concurrent_streams_interleave_safely(llm: Llama) -> None:
    results: dict = {}

    def stream(seed: int) -> None:
        chunks = llm(PROMPT, max_tokens=16, seed=seed, stream=True, logit_bias=no_eog_bias(llm))
        results[seed] = "".join(c["choices"][0]["text"] for c in chunks)

    threads = [threading.Thread(target=stream, args=(s,)) for s in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert set(results) == {0, 1, 2}
    for seed, text in results.items():
        assert text == llm(PROMPT, max_tokens=16, seed=seed, logit_bias=no_eog_bias(llm))["choices"][0]["text"]


def test_cancel_from_another_thread_stops_within_one_token(llm: Llama) -> None:
    stream = llm(PROMPT, max_tokens=None, stream=True, seed=1, logit_bias=no_eog_bias(llm))
    received = 0
    for chunk in stream:
        received += 1
        if received == 3:
            timer = threading.Thread(target=llm.cancel)
            timer.start()
            timer.join()
        if received > 4:
            break
    assert received <= 4  # cancel lands before the next token
    assert llm(PROMPT, max_tokens=3, temperature=0)["usage"]["completion_tokens"] <= 3


def test_breaking_out_of_a_stream_frees_the_context(llm: Llama) -> None:
    for _ in llm(PROMPT, max_tokens=None, stream=True, logit_bias=no_eog_bias(llm)):
        break
    done = threading.Event()

    def other() -> None:
        llm(PROMPT, max_tokens=2)
        done.set()

    t = threading.Thread(target=other)
    t.start()
    t.join(timeout=60)
    assert done.is_set(), "the context stayed locked after the stream was abandoned"


@pytest.mark.skipif(os.name == "nt", reason="needs POSIX signals")
@pytest.mark.parametrize("n_parallel", [1, 2], ids=["single", "parallel"])
def test_ctrl_c_interrupts_generation(model_path, n_parallel: int) -> None:
    """Ctrl-C stops a generation promptly; on a parallel context a non-streaming call waits natively for its
    whole result, and still sees it."""
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signals are delivered to the main thread only")
    # a generation far longer than the 0.3 s before the signal
    long_llm = Llama(str(model_path), n_ctx=32768, n_batch=64, n_parallel=n_parallel)
    # Python's own Ctrl-C handler, as a user's script has it: an earlier test's event loop or kernel client
    # may have left its SIGINT handler installed, which cancels tasks instead of raising KeyboardInterrupt
    previous_handler = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT))
    start = time.monotonic()
    timer.start()
    try:
        long_llm(PROMPT, max_tokens=None, logit_bias=no_eog_bias(long_llm))
    except KeyboardInterrupt:
        interrupted_after = time.monotonic() - start
    else:
        interrupted_after = None
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, previous_handler)
    assert interrupted_after is not None, "the generation finished before Ctrl-C arrived"
    assert interrupted_after < 5
    assert long_llm(PROMPT, max_tokens=2, logit_bias=no_eog_bias(long_llm))["usage"]["completion_tokens"] == 2


def test_a_new_call_supersedes_a_suspended_stream_of_the_same_thread(llm: Llama) -> None:
    first = llm(PROMPT, max_tokens=50, stream=True, seed=1, logit_bias=no_eog_bias(llm))
    next(first)  # holds the context, suspended
    second = llm(PROMPT, max_tokens=5, seed=2, logit_bias=no_eog_bias(llm))  # must not deadlock
    assert second["usage"]["completion_tokens"] == 5
    rest = list(first)  # the superseded stream ends without more text
    assert all(c["choices"][0]["text"] == "" for c in rest)
