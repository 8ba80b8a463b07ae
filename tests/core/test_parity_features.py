"""llama-cpp-python's features beyond parameters: logprobs, hooks, LoRA switching, state, low-level use, ported names.

Everything here holds whatever the weights: token counts, shapes,
streaming equal to non-streaming, a restored state continuing exactly.
The LoRA checks need the adapter written for the synthetic model, so they
run on it (the others run on ``LLAMA_NATIVE_TEST_MODEL`` when set).
"""

from __future__ import annotations

import math
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from helpers import ENV_MODEL, no_eog_bias

from llama_native import (
    LLAMA_POOLING_TYPE_MEAN,
    LLAMA_SPLIT_MODE_LAYER,
    Llama,
    LlamaRAMCache,
    LlamaState,
    LogitsProcessorList,
    MinTokensLogitsProcessor,
    StoppingCriteriaList,
)
from llama_native.testing import synthetic_lora_path, synthetic_model_path

PROMPT = "The list of cities: Paris, London,"


@pytest.fixture(scope="module")
def fresh(model_path: Path) -> Any:
    def make(**kwargs: Any) -> Llama:
        return Llama(str(model_path), **{"n_ctx": 256, "seed": 5, **kwargs})

    return make


# --------------------------------------------------------------- logprobs
@pytest.mark.parametrize("n_top", [0, 1, 5])
def test_completion_logprobs_cover_every_token_and_are_log_probabilities(llm: Llama, n_top: int) -> None:
    out = llm.create_completion(PROMPT, max_tokens=10, temperature=0.7, seed=3, logprobs=n_top, logit_bias=no_eog_bias(llm))
    lp = out["choices"][0]["logprobs"]
    n = out["usage"]["completion_tokens"]
    assert len(lp["tokens"]) == len(lp["token_logprobs"]) == len(lp["text_offset"]) == len(lp["top_logprobs"]) == n
    assert all(x <= 0.0 and math.isfinite(x) for x in lp["token_logprobs"])
    for top, chosen, lpv in zip(lp["top_logprobs"], lp["tokens"], lp["token_logprobs"]):
        # keyed by text, as in llama-cpp-python: tokens with the same text (byte pieces) share a key
        assert 1 <= len(top) <= n_top + 1 and top[chosen] == lpv
    assert lp["text_offset"] == sorted(lp["text_offset"])


def test_greedy_logprob_is_the_top_one_and_matches_the_logits(llm: Llama) -> None:
    out = llm.create_completion(PROMPT, max_tokens=1, temperature=0, logprobs=3, logit_bias=no_eog_bias(llm))
    lp = out["choices"][0]["logprobs"]
    rows = llm.logits(llm.tokenize(PROMPT.encode()))
    expected = Llama.logits_to_logprobs(rows[-1])
    assert lp["token_logprobs"][0] == pytest.approx(float(expected.max()), abs=1e-3)
    assert max(lp["top_logprobs"][0].values()) == pytest.approx(lp["token_logprobs"][0], abs=1e-6)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_streamed_logprobs_equal_the_whole_ones(fresh: Any, seed: int) -> None:
    a, b = fresh(), fresh()
    options = {"max_tokens": 12, "temperature": 0.9, "seed": seed, "logprobs": 2, "stop": [","]}
    whole = a.create_completion(PROMPT, **options)["choices"][0]
    chunks = list(b.create_completion(PROMPT, stream=True, **options))
    streamed = [c["choices"][0]["logprobs"] for c in chunks]
    joined = {k: [x for part in streamed for x in part[k]] for k in ("tokens", "token_logprobs", "text_offset")}
    assert joined == {k: whole["logprobs"][k] for k in joined}
    assert "".join(c["choices"][0]["text"] for c in chunks) == whole["text"]
    # a stop string's tokens are not part of the text, so not of the logprobs either
    assert "," not in "".join(whole["logprobs"]["tokens"])


def test_echo_with_logprobs_starts_with_the_prompt_tokens(llm: Llama) -> None:
    out = llm.create_completion(PROMPT, max_tokens=3, temperature=0, logprobs=2, echo=True, logit_bias=no_eog_bias(llm))
    lp = out["choices"][0]["logprobs"]
    n_prompt = out["usage"]["prompt_tokens"]
    assert len(lp["tokens"]) == n_prompt + 3
    assert lp["token_logprobs"][0] is None and lp["top_logprobs"][0] is None
    assert all(x is not None and x <= 0 for x in lp["token_logprobs"][1:])


def test_chat_logprobs_in_openai_shape_streamed_and_whole(fresh: Any) -> None:
    messages = [{"role": "user", "content": "Say something."}]
    options = {"max_tokens": 8, "temperature": 0, "logprobs": True, "top_logprobs": 2}
    whole = fresh().create_chat_completion(messages, **options)
    content = whole["choices"][0]["logprobs"]["content"]
    assert len(content) == whole["usage"]["completion_tokens"]
    for entry in content:
        assert set(entry) == {"token", "logprob", "bytes", "top_logprobs"} and len(entry["top_logprobs"]) == 2
        assert bytes(entry["bytes"]).decode("utf-8", "replace") == entry["token"]
    text = b"".join(bytes(e["bytes"]) for e in content).decode("utf-8", "replace")
    assert text.strip() == (whole["choices"][0]["message"]["content"] or "").strip()
    chunks = list(fresh().create_chat_completion(messages, stream=True, **options))
    streamed = [e for c in chunks if c["choices"][0]["logprobs"] for e in c["choices"][0]["logprobs"]["content"]]
    assert [e["token"] for e in streamed] == [e["token"] for e in content]
    assert [e["logprob"] for e in streamed] == pytest.approx([e["logprob"] for e in content], abs=1e-4)
    with pytest.raises(ValueError, match="top_logprobs"):
        fresh().create_chat_completion(messages, top_logprobs=2)


def test_logprobs_under_a_schema_cover_forced_tokens(fresh: Any) -> None:
    schema = {"type": "object", "properties": {"a": {"enum": ["x", "y"]}}, "required": ["a"]}
    out = fresh().create_completion("JSON:", json_schema=schema, max_tokens=40, temperature=0, logprobs=1)
    lp = out["choices"][0]["logprobs"]
    assert len(lp["tokens"]) == out["usage"]["completion_tokens"]
    assert lp["text_offset"] == sorted(lp["text_offset"]) and all(x <= 0 for x in lp["token_logprobs"])


def test_logprobs_on_a_parallel_context(model_path: Path) -> None:
    llm = Llama(str(model_path), n_ctx=256, n_parallel=3)
    outputs: list[dict[str, Any]] = []

    def run(seed: int) -> None:
        outputs.append(llm.create_completion(PROMPT, max_tokens=6, seed=seed, logprobs=1, logit_bias=no_eog_bias(llm)))

    threads = [threading.Thread(target=run, args=(s,)) for s in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [len(o["choices"][0]["logprobs"]["tokens"]) for o in outputs] == [6, 6, 6]


# ------------------------------------------------------------------ hooks
def test_logits_processor_list_and_min_tokens(llm: Llama) -> None:
    eos = llm.token_eos()

    def prefer_end(ids: np.ndarray, scores: np.ndarray) -> np.ndarray:
        scores = scores.copy()
        scores[eos] = 1e9
        return scores

    # the end is wanted at once, but banned for the first 4 tokens
    out = llm.create_completion(
        PROMPT, max_tokens=20, temperature=0, logits_processor=LogitsProcessorList([prefer_end, MinTokensLogitsProcessor(4, eos)])
    )
    assert out["usage"]["completion_tokens"] == 4 and out["choices"][0]["finish_reason"] == "stop"


def test_stopping_criteria_sees_the_prompt_and_the_tokens_so_far(llm: Llama) -> None:
    seen: list[int] = []
    n_prompt = len(llm.tokenize(PROMPT.encode()))

    def after_five(ids: np.ndarray, scores: np.ndarray) -> bool:
        assert ids.dtype == np.intc and scores.dtype == np.float32 and scores.shape == (llm.n_vocab(),)
        seen.append(len(ids))
        return len(ids) - n_prompt >= 5

    out = llm.create_completion(
        PROMPT, max_tokens=20, logit_bias=no_eog_bias(llm), stopping_criteria=StoppingCriteriaList([after_five])
    )
    assert out["usage"]["completion_tokens"] == 5 and seen == list(range(n_prompt + 1, n_prompt + 6))


def test_a_hook_that_raises_or_returns_the_wrong_shape_raises_in_python(llm: Llama) -> None:
    def boom(ids: np.ndarray, scores: np.ndarray) -> np.ndarray:
        raise KeyError("from the hook")

    with pytest.raises(KeyError, match="from the hook"):
        llm.create_completion(PROMPT, max_tokens=3, logits_processor=boom)
    with pytest.raises(ValueError, match="returned 5 scores"):
        llm.create_completion(PROMPT, max_tokens=3, logits_processor=lambda ids, s: s[:5])
    with pytest.raises(ValueError, match="callable"):
        llm.create_completion(PROMPT, max_tokens=3, stopping_criteria=5)
    assert llm.create_completion(PROMPT, max_tokens=2)["usage"]["completion_tokens"] <= 2  # the model still works


# ------------------------------------------------------------------- LoRA
@pytest.mark.skipif(ENV_MODEL is not None, reason="the random LoRA adapter is written for the synthetic model")
def test_lora_changes_the_output_and_switching_it_off_restores_it() -> None:
    path = str(synthetic_model_path())
    plain = Llama(path, n_ctx=128)
    with_lora = Llama(path, n_ctx=128, lora_path=str(synthetic_lora_path()))
    two = Llama(path, n_ctx=128, lora_path=[str(synthetic_lora_path()), (str(synthetic_lora_path(seed=2)), 0.5)])

    def greedy(llm: Llama) -> str:
        return llm.create_completion(PROMPT, max_tokens=12, temperature=0, logit_bias=no_eog_bias(llm))["choices"][0]["text"]

    base = greedy(plain)
    adapted = greedy(with_lora)
    assert adapted != base and greedy(two) not in (base, adapted)
    assert with_lora.loras == [(str(synthetic_lora_path()), 1.0)]
    with_lora.set_lora(None)
    assert greedy(with_lora) == base  # the KV cache from the adapter's run is not reused
    with_lora.set_lora(str(synthetic_lora_path()))
    assert greedy(with_lora) == adapted
    with pytest.raises(ValueError, match="not found"):
        with_lora.set_lora("/nonexistent/adapter.gguf")
    assert greedy(with_lora) == adapted  # a failed switch leaves the adapters as they were


# ----------------------------------------------------------------- state
def test_a_restored_state_continues_exactly_as_the_original(fresh: Any, model_path: Path) -> None:
    first = fresh()
    options = {"max_tokens": 8, "temperature": 0, "logit_bias": no_eog_bias(first)}
    start = first.create_completion(PROMPT, **options)["choices"][0]["text"]
    state = first.save_state()
    assert isinstance(state, LlamaState) and state.n_tokens == len(state.input_ids) > 0
    assert state.llama_state_size == len(state.llama_state) > 0
    continued = first.create_completion(PROMPT + start, **options)

    second = fresh()
    second.load_state(state)
    resumed = second.create_completion(PROMPT + start, **options)
    assert resumed["choices"][0]["text"] == continued["choices"][0]["text"]
    assert resumed["usage"]["prompt_tokens_details"]["cached_tokens"] > 0  # the state was used, not recomputed
    with pytest.raises(ValueError):
        Llama(str(synthetic_model_path(n_embd=128)), n_ctx=256).load_state(state)  # another model


def test_eval_sample_generate_follow_llama_cpp_python(fresh: Any) -> None:
    llm = fresh(logits_all=True)
    ids = llm.tokenize(PROMPT.encode())
    llm.eval(ids[:3])
    llm.eval(ids[3:])
    assert llm.n_tokens == len(ids) and llm.input_ids == ids and llm.scores.shape == (llm.context_params["n_ctx"], llm.n_vocab())
    np.testing.assert_allclose(llm.scores[: len(ids)], llm.logits(ids), atol=1e-3)
    token = llm.sample(temp=0)
    assert token == int(np.argmax(llm.logits(ids)[-1]))

    greedy = fresh().create_completion(ids, max_tokens=6, temperature=0, logprobs=0, logit_bias=no_eog_bias(llm))
    generated: list[int] = []
    for t in llm.generate(ids, temp=0, logits_processor=lambda i, s: np.where(np.isin(np.arange(len(s)), llm.eog_tokens()), -np.inf, s)):
        generated.append(t)
        if len(generated) == 6:
            break
    pieces = [llm.detokenize([t]).decode("utf-8", "replace") for t in generated]
    assert pieces == greedy["choices"][0]["logprobs"]["tokens"]
    assert llm.input_ids[: len(ids)] == ids


def test_generate_ends_with_the_end_token(fresh: Any) -> None:
    llm = fresh()
    tokens = list(llm.generate(llm.tokenize(b"x"), temp=0, logits_processor=lambda i, s: _end_after(llm, i, s, 3)))
    assert len(tokens) == 4 and llm.token_is_eog(tokens[-1])


def _end_after(llm: Llama, ids: np.ndarray, scores: np.ndarray, n: int) -> np.ndarray:
    scores = scores.copy()
    if len(ids) >= len(llm.tokenize(b"x")) + n:
        scores[:] = -np.inf
        scores[llm.token_eos()] = 0.0
    else:
        scores[llm.eog_tokens()] = -np.inf
    return scores


def test_caches_support_item_access(llm: Llama) -> None:
    cache = LlamaRAMCache(capacity_bytes=64 << 20)
    llm.set_cache(cache)
    try:
        llm.create_completion(PROMPT, max_tokens=2)
        ids = llm.tokenize(PROMPT.encode())
        state = cache[ids + [1, 2, 3]]
        assert isinstance(state, LlamaState) and state.tokens[: len(ids)] == tuple(ids)
        cache[[7, 8, 9]] = state
        assert [7, 8, 9] in cache
        with pytest.raises(KeyError):
            _ = LlamaRAMCache()[[1]]
    finally:
        llm.set_cache(None)


# ------------------------------------------------------------ names, shapes
def test_ported_module_names_import() -> None:
    from llama_native.llama_cache import LlamaDiskCache, LlamaRAMCache  # noqa: F401
    from llama_native.llama_chat_format import Jinja2ChatFormatter, LlamaChatCompletionHandler  # noqa: F401
    from llama_native.llama_grammar import JSON_GBNF, LlamaGrammar
    from llama_native.llama_speculative import LlamaDraftModel, LlamaPromptLookupDecoding
    from llama_native.llama_tokenizer import LlamaHFTokenizer, LlamaTokenizer  # noqa: F401
    from llama_native.llama_types import ChatCompletionRequestResponseFormat, ChatCompletionToolChoiceOption  # noqa: F401

    LlamaGrammar.from_string(JSON_GBNF)
    assert isinstance(LlamaPromptLookupDecoding(), LlamaDraftModel)


def test_context_and_model_params_read_as_attributes(llm: Llama) -> None:
    assert llm.context_params.n_ctx == llm.context_params["n_ctx"] == 512
    assert llm.model_params.split_mode == LLAMA_SPLIT_MODE_LAYER
    assert Llama(str(synthetic_model_path()), n_ctx=64, embedding=True, pooling_type=LLAMA_POOLING_TYPE_MEAN).pooling_type() == LLAMA_POOLING_TYPE_MEAN


def test_disk_cache_works_on_a_plain_install(tmp_path: Path) -> None:
    from llama_native import LlamaDiskCache

    cache = LlamaDiskCache(str(tmp_path / "cache"), capacity_bytes=1 << 20)
    cache[[1, 2]] = LlamaState((1, 2), b"data")
    assert cache[[1, 2, 3]].data == b"data"
