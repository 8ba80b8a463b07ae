"""llama-cpp-python's low-level loop: ``eval``, ``sample``, ``generate``, ``input_ids``/``n_tokens`` (issue 31).

``sample()`` chooses from the logits of the last evaluated position and
evaluates nothing; ``eval([token])`` then appends.  An ``eval``/``sample``/
``eval`` loop under greedy sampling must write what the high-level API writes
(and, on SmolLM2, what llama-cpp-python writes: ``LLAMA_CPP_PYTHON`` names a
Python with llama-cpp-python built from the pinned sdist to check that side by
side).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from helpers import no_eog_bias

from llama_native import Llama

PROMPT = b"The quick brown fox"
STEPS = 6


def eval_sample_loop(llm: Llama, prompt: list[int], steps: int, **sample_options: Any) -> list[int]:
    """The loop a llama-cpp-python user writes by hand."""
    llm.reset()
    llm.eval(prompt)
    out = []
    for _ in range(steps):
        token = llm.sample(temp=0, **sample_options)
        out.append(token)
        llm.eval([token])
    return out


def greedy_pieces(llm: Llama, prompt: list[int], steps: int, logit_bias: dict | None = None) -> list[str]:
    """What the high-level API writes from ``prompt`` under greedy sampling, token by token."""
    fresh = Llama(llm.model_path, n_ctx=llm.n_ctx(), seed=1)
    out = fresh.create_completion(prompt, max_tokens=steps, temperature=0, logprobs=0, logit_bias=logit_bias)
    pieces = out["choices"][0]["logprobs"]["tokens"]
    assert len(pieces) == steps, out["choices"][0]["finish_reason"]
    return pieces


def pieces_of(llm: Llama, ids: list[int]) -> list[str]:
    return [llm.detokenize([i]).decode("utf-8", "replace") for i in ids]


def _bias_row(llm: Llama, logit_bias: dict | None) -> np.ndarray:
    row = np.zeros(llm.n_vocab(), dtype=np.float32)
    for token, bias in (logit_bias or {}).items():
        row[int(token)] = bias
    return row


@pytest.fixture(params=["test model", "SmolLM2"])
def loop_llm(request: pytest.FixtureRequest, model_path: Path) -> Llama:
    if request.param == "SmolLM2":
        path = request.getfixturevalue("real_model_path")
    else:
        path = model_path
    return Llama(str(path), n_ctx=256, seed=1)


def test_sample_evaluates_nothing(loop_llm: Llama) -> None:
    prompt = loop_llm.tokenize(PROMPT)
    loop_llm.eval(prompt)
    before = (list(loop_llm.input_ids), loop_llm.n_tokens, loop_llm.scores.copy())
    first = loop_llm.sample(temp=0)
    assert loop_llm.sample(temp=0) == first  # the same logits, nothing decoded in between
    assert (loop_llm.input_ids, loop_llm.n_tokens) == before[:2] == (prompt, len(prompt))
    np.testing.assert_array_equal(loop_llm.scores, before[2])
    assert first == int(np.argmax(loop_llm.scores[-1]))


def test_eval_sample_eval_loop_writes_the_greedy_text(loop_llm: Llama) -> None:
    prompt = loop_llm.tokenize(PROMPT)
    bias = no_eog_bias(loop_llm)
    keep_going = lambda ids, scores: scores + _bias_row(loop_llm, bias)  # noqa: E731
    ids = eval_sample_loop(loop_llm, prompt, STEPS, logits_processor=keep_going)
    assert loop_llm.n_tokens == len(prompt) + STEPS and loop_llm.input_ids == prompt + ids
    assert pieces_of(loop_llm, ids) == greedy_pieces(loop_llm, prompt, STEPS, bias)


def test_generate_keeps_input_ids_to_what_was_evaluated(loop_llm: Llama) -> None:
    prompt = loop_llm.tokenize(PROMPT)
    bias = no_eog_bias(loop_llm)
    keep_going = lambda ids, scores: scores + _bias_row(loop_llm, bias)  # noqa: E731
    got = []
    for token in loop_llm.generate(prompt, temp=0, logits_processor=keep_going):
        assert loop_llm.input_ids == prompt + got  # the token just yielded is not evaluated yet
        got.append(token)
        if len(got) == STEPS:
            break
    assert pieces_of(loop_llm, got) == greedy_pieces(loop_llm, prompt, STEPS, bias)
    loop_llm.eval([got[-1]])  # continuing by hand, as llama-cpp-python users do
    assert loop_llm.n_tokens == len(prompt) + STEPS
    following = loop_llm.sample(temp=0, logits_processor=keep_going)
    assert pieces_of(loop_llm, [following]) == greedy_pieces(loop_llm, prompt, STEPS + 1, bias)[-1:]


def test_sample_at_an_earlier_position_needs_logits_all(model_path: Path) -> None:
    llm = Llama(str(model_path), n_ctx=128, seed=1)
    prompt = llm.tokenize(PROMPT)
    llm.eval(prompt)
    with pytest.raises(ValueError, match="logits_all=True"):
        llm.sample(temp=0, idx=1)
    every = Llama(str(model_path), n_ctx=128, seed=1, logits_all=True)
    every.eval(prompt)
    assert every.sample(temp=0, idx=1) == int(np.argmax(every.logits(prompt[:2])[-1]))
    with pytest.raises(ValueError, match="evaluated positions"):
        every.sample(temp=0, idx=len(prompt) + 3)


def test_sample_before_eval_is_a_clear_error(model_path: Path) -> None:
    llm = Llama(str(model_path), n_ctx=64)
    with pytest.raises(ValueError, match="call eval"):
        llm.sample()


def test_seeded_sampling_repeats(model_path: Path) -> None:
    llm = Llama(str(model_path), n_ctx=64, seed=7)
    llm.eval(llm.tokenize(PROMPT))
    assert len({llm.sample(temp=1.0, top_k=0, top_p=1.0, min_p=0.0) for _ in range(4)}) == 1  # a fresh seeded sampler


PEER = r"""
import json, sys
from llama_cpp import Llama
llm = Llama(sys.argv[1], n_ctx=256, verbose=False, seed=1)
prompt = llm.tokenize(sys.argv[2].encode())
llm.eval(prompt)
out = []
for _ in range(int(sys.argv[3])):
    token = llm.sample(temp=0)
    out.append(token)
    llm.eval([token])
print(json.dumps({"ids": out, "n_tokens": llm.n_tokens, "text": llm.detokenize(out).decode("utf-8", "replace")}))
"""


@pytest.mark.skipif(
    not os.environ.get("LLAMA_CPP_PYTHON"),
    reason="LLAMA_CPP_PYTHON names no Python with llama-cpp-python built from the pinned sdist (see bench/README.md)",
)
def test_eval_sample_loop_equals_llama_cpp_python(real_model_path: Path) -> None:
    peer = subprocess.run(
        [os.environ["LLAMA_CPP_PYTHON"], "-c", PEER, str(real_model_path), PROMPT.decode(), str(STEPS)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert peer.returncode == 0, peer.stderr[-2000:]
    theirs = json.loads(peer.stdout.strip().splitlines()[-1])
    llm = Llama(str(real_model_path), n_ctx=256, seed=1)
    prompt = llm.tokenize(PROMPT)
    ours = eval_sample_loop(llm, prompt, STEPS)
    assert ours == theirs["ids"], (llm.detokenize(ours), theirs["text"])
    assert llm.n_tokens == theirs["n_tokens"] == len(prompt) + STEPS
