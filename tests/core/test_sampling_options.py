"""The typed request's sampling options, and top_n_sigma: the sampling parameter added in one place.

``top_n_sigma`` keeps the tokens whose logit is within that many standard
deviations of the top one (llama.cpp's ``--top-n-sigma``).  What must hold
whatever the weights: a tiny value leaves only the top token (so any seed gives
the greedy text), a moderate one changes what high-temperature sampling picks,
the same seed gives the same text, and a bad value is refused naming it, in
process, through the chat API and through the typed request alike.
"""

from __future__ import annotations

from typing import Any

import pytest

from llama_native import Llama
from llama_native.request import ChatRequest, CompletionRequest, SamplingOptions
from llama_native.testing import synthetic_model_path

PROMPT = "The quick brown fox"
MESSAGES = [{"role": "user", "content": "Name a city."}]


@pytest.fixture(scope="module")
def llm() -> Llama:
    return Llama(str(synthetic_model_path()), n_ctx=256, n_threads=2)


def no_end(llm: Llama) -> dict[int, float]:
    return {t: float("-inf") for t in llm.eog_tokens()}


def text(llm: Llama, **kwargs: Any) -> str:
    options = {"max_tokens": 16, "logit_bias": no_end(llm), **kwargs}
    return llm.create_completion(PROMPT, **options)["choices"][0]["text"]


def test_a_tiny_top_n_sigma_leaves_only_the_top_token(llm: Llama) -> None:
    greedy = text(llm, temperature=0)
    for seed in range(4):
        assert text(llm, temperature=2.0, top_k=0, top_p=1.0, min_p=0.0, top_n_sigma=1e-6, seed=seed) == greedy


def test_top_n_sigma_changes_high_temperature_sampling(llm: Llama) -> None:
    loose = dict(temperature=3.0, top_k=0, top_p=1.0, min_p=0.0)
    free = [text(llm, seed=s, **loose) for s in range(4)]
    cut = [text(llm, seed=s, top_n_sigma=0.5, **loose) for s in range(4)]
    assert free != cut
    assert cut == [text(llm, seed=s, top_n_sigma=0.5, **loose) for s in range(4)]  # same seed, same text


def test_chat_and_streaming_take_it_too(llm: Llama) -> None:
    options = dict(max_tokens=12, temperature=2.0, top_k=0, top_n_sigma=1e-6, logit_bias=no_end(llm), seed=3)
    greedy = llm.create_chat_completion(MESSAGES, **{**options, "temperature": 0.0})
    tiny = llm.create_chat_completion(MESSAGES, **options)
    assert tiny["choices"][0]["message"]["content"] == greedy["choices"][0]["message"]["content"]
    streamed = "".join(c["choices"][0]["delta"].get("content") or ""
                       for c in llm.create_chat_completion(MESSAGES, stream=True, **options))  # fmt: skip
    assert streamed == tiny["choices"][0]["message"]["content"]


@pytest.mark.parametrize("value", [0, -2.0, float("nan"), "wide"])
def test_bad_values_are_refused_naming_the_parameter(llm: Llama, value: Any) -> None:
    with pytest.raises(ValueError, match="top_n_sigma"):
        llm.create_completion(PROMPT, max_tokens=2, top_n_sigma=value)
    with pytest.raises(ValueError, match="top_n_sigma"):
        llm.create_chat_completion(MESSAGES, max_tokens=2, top_n_sigma=value)


def test_a_request_made_directly_runs_as_the_method_call(llm: Llama) -> None:
    options = SamplingOptions(temperature=1.0, top_n_sigma=1.0, seed=7)
    direct = llm.run(CompletionRequest(PROMPT, options, max_tokens=8))
    called = llm.create_completion(PROMPT, max_tokens=8, temperature=1.0, top_n_sigma=1.0, seed=7)
    assert direct["choices"][0]["text"] == called["choices"][0]["text"]
    chat = ChatRequest.from_arguments({"messages": MESSAGES, "max_tokens": 6, "temperature": 0.0})
    assert llm.run(chat)["choices"][0]["message"] == llm.create_chat_completion(
        MESSAGES, max_tokens=6, temperature=0.0
    )["choices"][0]["message"]


def test_unknown_keyword_arguments_still_raise_type_error(llm: Llama) -> None:
    with pytest.raises(TypeError, match="top_n_sigmaa"):
        llm.create_completion(PROMPT, top_n_sigmaa=1.0)
    with pytest.raises(TypeError, match="top_n_sigmaa"):
        llm.create_chat_completion(MESSAGES, top_n_sigmaa=1.0)
