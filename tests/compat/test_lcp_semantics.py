"""Semantics side by side with llama-cpp-python 0.3.36 (its venv, as a subprocess) on SmolLM2 and the micro model.

The same program runs under both (``lcp_venv.py``): ``input_ids``/``scores``
after ``eval``, ``sample(idx=last)``, the RNG after ``set_seed`` (successive
calls without a seed advance it), tokenize/detokenize round trips and the
first streamed chat chunk.
"""

from __future__ import annotations


import pytest
from lcp_venv import run_both

PROGRAM = """
import json, sys
import numpy as np
from llama_cpp import Llama
out = {}
llm = Llama(MODEL, n_ctx=64, logits_all=True, verbose=False, seed=1)
llm.eval(llm.tokenize(b"Hello world"))
n = llm.n_tokens
out["input_ids"] = [llm.input_ids[:n].tolist(), str(np.asarray(llm.input_ids).dtype)]
out["scores"] = [str(llm.scores.dtype), llm.scores.shape[1], int(np.argmax(llm.scores[n - 1]))]
out["sample_last"] = [int(llm.sample(idx=n - 1, temp=0)), int(llm.sample(temp=0))]
llm2 = Llama(MODEL, n_ctx=128, verbose=False)
llm2.set_seed(1337)
out["rng"] = [llm2("Pick a number:", max_tokens=2, temperature=1.0)["choices"][0]["text"] for _ in range(3)]
llm2.set_seed(1337)
out["rng_again"] = llm2("Pick a number:", max_tokens=2, temperature=1.0)["choices"][0]["text"]
for text in [b" leading", b"Hello", b"  two spaces", b"\\nnl", b"<|im_start|>x"]:
    ids = llm2.tokenize(text)
    out["rt" + repr(text)] = [ids, llm2.detokenize(ids).decode(), llm2.tokenize(text, add_bos=False, special=True)]
chunks = list(llm2.create_chat_completion([{"role": "user", "content": "hi"}], max_tokens=3, stream=True, temperature=0))
out["first_chunk"] = chunks[0]["choices"][0]["delta"]
out["last_chunk"] = [chunks[-1]["choices"][0]["delta"], chunks[-1]["choices"][0]["finish_reason"]]
print(json.dumps(out))
"""


@pytest.fixture(scope="module", params=["smollm2", "micro"])
def both(request: pytest.FixtureRequest) -> tuple[dict, dict]:
    return run_both(request.param, PROGRAM)


def test_input_ids_and_scores(both: tuple[dict, dict]) -> None:
    theirs, ours = both
    assert ours["input_ids"] == theirs["input_ids"]  # a slice's tolist(), intc
    assert ours["scores"] == theirs["scores"]  # float32 rows of n_vocab, the same argmax


def test_sample_at_the_last_position(both: tuple[dict, dict]) -> None:
    theirs, ours = both
    assert ours["sample_last"] == theirs["sample_last"]


def test_rng_advances_after_set_seed(both: tuple[dict, dict]) -> None:
    theirs, ours = both
    assert len(set(ours["rng"])) > 1 and len(set(theirs["rng"])) > 1  # successive calls differ, as there
    assert ours["rng"][0] == theirs["rng"][0] == ours["rng_again"] == theirs["rng_again"]  # the same seed chain


def test_tokenize_round_trips(both: tuple[dict, dict]) -> None:
    theirs, ours = both
    for key in theirs:
        if key.startswith("rt"):
            assert ours[key] == theirs[key], key


def test_first_streamed_chunk_is_the_role_only(both: tuple[dict, dict]) -> None:
    theirs, ours = both
    assert ours["first_chunk"] == theirs["first_chunk"] == {"role": "assistant"}
    assert ours["last_chunk"] == theirs["last_chunk"]
