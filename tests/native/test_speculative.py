"""Prompt-lookup speculative decoding: identical greedy output, fewer decode calls when drafts hit."""

from __future__ import annotations

from pathlib import Path

import pytest

from llama_native import Llama, LlamaPromptLookupDecoding, PromptLookupDecoding
from helpers import ENV_MODEL

PROMPTS = ["a b c a b c a b c a b", "The cat sat on the mat. The cat sat on the", "1 2 3 4 1 2 3 4 1 2"]


@pytest.fixture(scope="module")
def pair(any_model_path: Path):
    plain = Llama(str(any_model_path), n_ctx=512)
    spec = Llama(str(any_model_path), n_ctx=512, draft_model=PromptLookupDecoding(max_ngram_size=3, num_pred_tokens=6))
    return plain, spec


@pytest.mark.parametrize("prompt", PROMPTS)
def test_greedy_output_is_identical(pair, prompt: str) -> None:
    plain, spec = pair
    kwargs = dict(max_tokens=48, temperature=0)
    expected = plain(prompt, **kwargs)
    got = spec(prompt, **kwargs)
    assert got["choices"][0]["text"] == expected["choices"][0]["text"]
    assert got["choices"][0]["finish_reason"] == expected["choices"][0]["finish_reason"]
    assert got["usage"]["completion_tokens"] == expected["usage"]["completion_tokens"]


def test_identical_under_grammar_stop_strings_and_streaming(pair) -> None:
    plain, spec = pair
    grammar = 'root ::= ("ab" | "a" | "b" | " ")+'
    for kwargs in (dict(grammar=grammar, max_tokens=40), dict(stop=["c a"], max_tokens=40), dict(max_tokens=7)):
        a = plain(PROMPTS[0], temperature=0, **kwargs)["choices"][0]["text"]
        b = spec(PROMPTS[0], temperature=0, **kwargs)["choices"][0]["text"]
        s = "".join(c["choices"][0]["text"] for c in spec(PROMPTS[0], temperature=0, stream=True, **kwargs))
        assert a == b == s, kwargs


@pytest.mark.skipif(ENV_MODEL is not None, reason="counts drafts on the synthetic model, whose greedy output repeats")
def test_drafts_are_verified_in_batches(model_path: Path) -> None:
    llm = Llama(str(model_path), n_ctx=512, draft_model=LlamaPromptLookupDecoding(num_pred_tokens=8))
    bias = {t: float("-inf") for t in llm.eog_tokens()}
    llm(PROMPTS[0] * 3, max_tokens=120, temperature=0, logit_bias=bias)
    stats = llm.last_generation_stats
    assert stats["accepted_draft_tokens"] > 0
    # every accepted draft token is a decode call saved
    assert stats["decode_calls"] == stats["generated_tokens"] - 1 - stats["accepted_draft_tokens"]


def test_bad_draft_model_is_a_clear_error(model_path: Path) -> None:
    with pytest.raises(ValueError, match="PromptLookupDecoding"):
        Llama(str(model_path), n_ctx=64, draft_model="small.gguf")
    with pytest.raises(ValueError, match="num_pred_tokens"):
        PromptLookupDecoding(num_pred_tokens=0)
