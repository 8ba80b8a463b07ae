"""Every llama-cpp-python parameter does what it says here, or refuses with a reason.

The parameter lists are read from llama-cpp-python's own source (the pinned
sdist, ``llama_cpp/llama.py``), so a parameter it adds shows up here as a
failure until it is covered.  Each parameter we accept is in one of three
tables:

* ``*_EFFECTS``: a check that runs it with a non-default value and sees the
  difference (output, logits, embeddings, a hook called, a shape);
* ``*_REFUSED``: a value that raises ``ValueError``/``NotImplementedError``
  whose message names the parameter;
* ``GPU_PASS_THROUGH``: device placement options that act only in a GPU
  build; here they must reach the native parameters and refuse bad values.

The models are the synthetic random-weight ones (a LoRA adapter and FIM
tokens exist only for them), so these checks run the same with
``LLAMA_NATIVE_TEST_MODEL`` set.
"""

from __future__ import annotations

import ast
import inspect
import logging
from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np
import pytest

from llama_native import (
    GGML_TYPE_Q4_0,
    LLAMA_ATTENTION_TYPE_NON_CAUSAL,
    LLAMA_POOLING_TYPE_LAST,
    LLAMA_POOLING_TYPE_MEAN,
    LLAMA_ROPE_SCALING_TYPE_YARN,
    LLAMA_SPLIT_MODE_ROW,
    Llama,
    PromptLookupDecoding,
)
from llama_native.llama_cpp_source import llama_cpp_python_source
from llama_native.llama_tokenizer import LlamaTokenizer
from llama_native.testing import real_tokenizer_model_path, synthetic_lora_path, synthetic_model_path

PROMPT = "hello world the city of Paris is"


@cache
def model() -> str:
    """A synthetic model with 32-wide heads (quantized KV caches need blocks of 32)."""
    return str(synthetic_model_path(n_embd=128))


@cache
def fim_model() -> str:
    """A random model with StarCoder's tokenizer, whose vocabulary has fill-in-the-middle tokens."""
    return str(real_tokenizer_model_path("starcoder"))


def load(**kwargs: Any) -> Llama:
    return Llama(model(), **{"n_ctx": 128, **kwargs})


@cache
def base() -> Llama:
    return load(n_ctx=1024)


@cache
def word() -> int:
    """A token that is a whole word (its text decodes on its own)."""
    return next(t for t in base().tokenize(b"hello world", add_bos=False) if base().detokenize([t]).strip().isalpha())


def no_end(llm: Llama) -> dict[int, float]:
    return {t: float("-inf") for t in llm.eog_tokens()}


def text(llm: Llama, **kwargs: Any) -> str:
    options = {"max_tokens": 12, "temperature": 0, "logit_bias": no_end(llm), **kwargs}
    return llm.create_completion(PROMPT, **options)["choices"][0]["text"]


def logits(llm: Llama) -> np.ndarray:
    return llm.logits(llm.tokenize(PROMPT.encode()))


def differs(changed: Llama, reference: Llama | None = None) -> None:
    """The changed model's logits differ from the reference's on the same tokens."""
    reference = reference or load()
    assert float(np.abs(logits(changed) - logits(reference)).max()) > 1e-4


def sampled(llm: Llama, seeds: range = range(4), **kwargs: Any) -> list[str]:
    options = {"max_tokens": 12, "temperature": 1.0, "logit_bias": no_end(llm), **kwargs}
    return [llm.create_completion(PROMPT, seed=s, **options)["choices"][0]["text"] for s in seeds]


def sampling_differs(**kwargs: Any) -> Callable[[], None]:
    """A check: sampling with ``kwargs`` gives other texts than without, on the same seeds."""
    baseline = {k: v for k, v in kwargs.items() if k.startswith("_")}
    changed = {k: v for k, v in kwargs.items() if not k.startswith("_")}
    base_options = {k[1:]: v for k, v in baseline.items()}

    def check() -> None:
        llm = base()
        assert sampled(llm, **base_options) != sampled(llm, **{**base_options, **changed})

    return check


def embedding(llm: Llama) -> np.ndarray:
    return np.asarray(llm.embed("hello world the city"))


# ------------------------------------------------------------------ Llama()
def _vocab_only() -> None:
    llm = load(vocab_only=True)
    assert llm.tokenize(b"hello")
    with pytest.raises(RuntimeError, match="vocab_only"):
        llm.create_completion("hello", max_tokens=1)


def _kv_overrides() -> None:
    assert load(kv_overrides={"llama.context_length": 1000}).n_ctx_train() == 1000
    with pytest.raises(ValueError, match="kv_overrides"):
        load(kv_overrides={"llama.context_length": [1]})


def _seed() -> None:
    a, b = load(seed=7), load(seed=7)
    options = {"max_tokens": 12, "temperature": 1.0, "logit_bias": no_end(a)}
    assert a(PROMPT, **options)["choices"][0]["text"] == b(PROMPT, **options)["choices"][0]["text"]
    others = {load(seed=s)(PROMPT, **options)["choices"][0]["text"] for s in (1, 2, 3)}
    assert len(others) > 1


def _n_ctx() -> None:
    assert load(n_ctx=512).n_ctx() == 512
    assert load(n_ctx=0).n_ctx() == base().n_ctx_train()


def _rope(**kwargs: Any) -> Callable[[], None]:
    def check() -> None:
        differs(load(**kwargs))

    return check


def _yarn(**kwargs: Any) -> Callable[[], None]:
    yarn = {"rope_scaling_type": LLAMA_ROPE_SCALING_TYPE_YARN, "rope_freq_scale": 0.25}

    def check() -> None:
        differs(load(**yarn, **kwargs), load(**yarn))

    return check


def _pooling_type() -> None:
    mean = load(embedding=True, pooling_type=LLAMA_POOLING_TYPE_MEAN)
    last = load(embedding=True, pooling_type=LLAMA_POOLING_TYPE_LAST)
    assert (mean.pooling_type(), last.pooling_type()) == (LLAMA_POOLING_TYPE_MEAN, LLAMA_POOLING_TYPE_LAST)
    assert not np.allclose(embedding(mean), embedding(last))


def _attention_type() -> None:
    causal = load(embedding=True, pooling_type=LLAMA_POOLING_TYPE_MEAN)
    both_ways = load(embedding=True, pooling_type=LLAMA_POOLING_TYPE_MEAN, attention_type=LLAMA_ATTENTION_TYPE_NON_CAUSAL)
    assert not np.allclose(embedding(causal), embedding(both_ways))


def _logits_all() -> None:
    ids = base().tokenize(PROMPT.encode())
    every, last = load(logits_all=True), load()
    every.eval(ids)
    last.eval(ids)
    # llama-cpp-python's table: one row per position of the context, filled up to the evaluated tokens
    assert every.scores.shape == (128, every.n_vocab()) and last.scores.shape == (1, last.n_vocab())
    np.testing.assert_allclose(every.scores[len(ids) - 1], last.scores[-1], atol=1e-3)


def _embedding() -> None:
    assert embedding(load(embedding=True)).shape[-1] == base().n_embd()  # one vector per token (no pooling)
    with pytest.raises(ValueError, match="embedding=True"):
        base().embed("x")


def _last_n_tokens_size() -> None:
    options = {"presence_penalty": 2.0, "max_tokens": 40}
    assert sampled(load(last_n_tokens_size=1), **options) != sampled(load(last_n_tokens_size=64), **options)


def _lora_path() -> None:
    with_adapter = load(lora_path=str(synthetic_lora_path(n_embd=128)))
    differs(with_adapter)
    with_adapter.set_lora(None)  # and it returns without it
    np.testing.assert_allclose(logits(with_adapter), logits(base()), atol=1e-4)


def _lora_scale() -> None:
    lora = str(synthetic_lora_path(n_embd=128))
    differs(load(lora_path=lora, lora_scale=0.3), load(lora_path=lora, lora_scale=1.0))


def _numa() -> None:
    assert load(numa=True).numa == 1
    with pytest.raises(ValueError, match="numa"):
        load(numa=9)


def _chat_format() -> None:
    messages = [{"role": "user", "content": "hi"}]
    a = load(chat_format="llama-2").chat_formatter(messages=messages).prompt
    b = load(chat_format="chatml").chat_formatter(messages=messages).prompt
    assert a != b and "[INST]" in a


def _chat_handler() -> None:
    seen: dict[str, Any] = {}

    def handler(*, llama: Llama, messages: list[dict[str, Any]], **request: Any) -> dict[str, Any]:
        seen.update(request, llama=llama, messages=messages)
        return {"handled": True}

    llm = load(chat_handler=handler)
    out = llm.create_chat_completion([{"role": "user", "content": "hi"}], temperature=0.5, mirostat_mode=2)
    assert out == {"handled": True}
    assert seen["llama"] is llm and seen["temperature"] == 0.5 and seen["mirostat_mode"] == 2


def _draft_model() -> None:
    prompt = "a b c d e a b c d e a b c d e a b"
    drafted, plain = load(draft_model=PromptLookupDecoding(num_pred_tokens=8)), load()
    assert drafted(prompt, max_tokens=24, temperature=0)["choices"][0]["text"] == plain(
        prompt, max_tokens=24, temperature=0
    )["choices"][0]["text"]
    assert drafted.last_generation_stats["drafted_tokens"] > 0


def _tokenizer() -> None:
    calls: list[bytes] = []

    class Spy(LlamaTokenizer):
        def tokenize(self, text: bytes, add_bos: bool = True, special: bool = True) -> list[int]:
            calls.append(text)
            return super().tokenize(text, add_bos, special)

    llm = load(tokenizer=Spy(base()))
    llm("hello", max_tokens=1)
    assert calls == [b"hello"]


def _kv_type(**kwargs: Any) -> Callable[[], None]:
    def check() -> None:
        changed, reference = load(flash_attn=True, **kwargs), load(flash_attn=True)
        ids = base().tokenize(PROMPT.encode())
        # the cache holds what earlier tokens wrote: logits of later positions change with its precision
        changed.eval(ids)
        reference.eval(ids)
        assert float(np.abs(changed.scores[-1] - reference.scores[-1]).max()) > 1e-5

    return check


def _spm_infill() -> None:
    psm, spm = Llama(fim_model(), n_ctx=128), Llama(fim_model(), n_ctx=128, spm_infill=True)
    a, b = psm._infill_prompt("def f(", "return x"), spm._infill_prompt("def f(", "return x")
    m = psm._model
    assert sorted(a) == sorted(b) and a != b
    assert a.index(m.token_fim_pre) < a.index(m.token_fim_suf) and b.index(m.token_fim_suf) < b.index(m.token_fim_pre)


def _verbose(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        load(verbose=True)
    assert any("llama" in r.name for r in caplog.records)


def _passes(name: str, value: Any, where: str = "context_params") -> Callable[[], None]:
    """A flag whose only observable effect here is llama.cpp's own (timings, memory): it reaches the native params."""

    def check() -> None:
        llm = load(**{name: value})
        assert getattr(llm, where)[name] == value

    return check


LOAD_EFFECTS: dict[str, Callable[..., None]] = {
    "model_path": lambda: differs(Llama(str(synthetic_model_path(n_embd=128, seed=5)), n_ctx=128)),
    "vocab_only": _vocab_only,
    "use_mmap": _passes("use_mmap", False, "model_params"),
    "use_mlock": _passes("use_mlock", True, "model_params"),
    "kv_overrides": _kv_overrides,
    "seed": _seed,
    "n_ctx": _n_ctx,
    "n_batch": lambda: load(n_batch=32)._context().n_batch == 32 or pytest.fail("n_batch"),
    "n_ubatch": _passes("n_ubatch", 16),
    "n_threads": _passes("n_threads", 1),
    "n_threads_batch": _passes("n_threads_batch", 1),
    "rope_scaling_type": _rope(rope_scaling_type=LLAMA_ROPE_SCALING_TYPE_YARN, rope_freq_scale=0.25),
    "rope_freq_base": _rope(rope_freq_base=500.0),
    "rope_freq_scale": _rope(rope_freq_scale=0.25),
    "yarn_ext_factor": _yarn(yarn_ext_factor=0.2),
    "yarn_attn_factor": _rope(yarn_attn_factor=2.0),  # under YaRN llama.cpp derives its own from the scale
    "yarn_beta_fast": _yarn(yarn_beta_fast=4.0),
    "yarn_beta_slow": _yarn(yarn_beta_slow=8.0),
    "yarn_orig_ctx": _yarn(yarn_orig_ctx=16),
    "pooling_type": _pooling_type,
    "attention_type": _attention_type,
    "logits_all": _logits_all,
    "embedding": _embedding,
    "flash_attn": _passes("flash_attn", True),
    "swa_full": _passes("swa_full", False),
    "no_perf": _passes("no_perf", True),
    "last_n_tokens_size": _last_n_tokens_size,
    "lora_path": _lora_path,
    "lora_scale": _lora_scale,
    "numa": _numa,
    "chat_format": _chat_format,
    "chat_handler": _chat_handler,
    "draft_model": _draft_model,
    "tokenizer": _tokenizer,
    "type_k": _kv_type(type_k="q4_0"),
    "type_v": _kv_type(type_v=GGML_TYPE_Q4_0),
    "spm_infill": _spm_infill,
    "verbose": _verbose,
}

#: act in a GPU build (layers, devices, KV placement); here they reach llama.cpp's parameters and bad values refuse
GPU_PASS_THROUGH: dict[str, tuple[Any, Any, str]] = {
    "n_gpu_layers": (-1, "all", "model_params"),
    "split_mode": (LLAMA_SPLIT_MODE_ROW, 9, "model_params"),
    "main_gpu": (1, -1, "model_params"),
    "tensor_split": ([0.5, 0.5], [-1.0], "model_params"),
    "offload_kqv": (False, None, "context_params"),
    "op_offload": (False, None, "context_params"),
}

LOAD_REFUSED: dict[str, tuple[Any, type[Exception]]] = {
    "lora_base": ("/some/base.gguf", ValueError),
}


# ----------------------------------------------------- create_completion
def _suffix() -> None:
    llm = Llama(fim_model(), n_ctx=128)
    plain = llm.create_completion("def add(a, b):", max_tokens=4, temperature=0, logit_bias=no_end(llm))
    filled = llm.create_completion(
        "def add(a, b):", suffix="\n    return c", max_tokens=4, temperature=0, logit_bias=no_end(llm)
    )
    assert filled["usage"]["prompt_tokens"] > plain["usage"]["prompt_tokens"]  # the suffix and FIM tokens
    with pytest.raises(ValueError, match="fill-in-the-middle"):
        base().create_completion("x", suffix="y", max_tokens=1)


def _logprobs() -> None:
    out = base().create_completion(PROMPT, max_tokens=6, temperature=0, logprobs=3, logit_bias=no_end(base()))
    lp = out["choices"][0]["logprobs"]
    assert len(lp["tokens"]) == len(lp["token_logprobs"]) == 6
    assert all(len(top) >= 3 for top in lp["top_logprobs"])


def _stopping_criteria() -> None:
    out = base().create_completion(
        PROMPT, max_tokens=20, logit_bias=no_end(base()), stopping_criteria=lambda ids, scores: True
    )
    assert out["usage"]["completion_tokens"] == 1 and out["choices"][0]["finish_reason"] == "stop"


def _logits_processor() -> None:
    def only(ids: np.ndarray, scores: np.ndarray) -> np.ndarray:
        out = np.full_like(scores, -np.inf)
        out[word()] = 0.0
        return out

    out = base().create_completion(PROMPT, max_tokens=3, logits_processor=only)
    assert out["choices"][0]["text"] == base().detokenize([word()] * 3).decode()


COMPLETION_EFFECTS: dict[str, Callable[[], None]] = {
    "prompt": lambda: text(base()) != base().create_completion("other words", max_tokens=12, temperature=0)[
        "choices"
    ][0]["text"]
    or pytest.fail("prompt"),
    "suffix": _suffix,
    "max_tokens": lambda: base()(PROMPT, max_tokens=3, logit_bias=no_end(base()))["usage"]["completion_tokens"] == 3
    or pytest.fail("max_tokens"),
    "temperature": sampling_differs(temperature=0.2),
    "top_p": sampling_differs(_top_k=0, _temperature=2.0, top_p=0.3),
    "min_p": sampling_differs(_min_p=0.0, _top_k=0, min_p=0.3),
    "typical_p": sampling_differs(_top_k=0, _temperature=2.0, typical_p=0.3),
    "logprobs": _logprobs,
    "echo": lambda: base()(PROMPT, max_tokens=1, echo=True)["choices"][0]["text"].lstrip().startswith(PROMPT)
    or pytest.fail("echo"),
    "stop": lambda: "the" not in base()(PROMPT, max_tokens=30, temperature=0, stop=["the"])["choices"][0]["text"]
    or pytest.fail("stop"),
    "frequency_penalty": sampling_differs(frequency_penalty=2.0, max_tokens=24),
    "presence_penalty": sampling_differs(presence_penalty=2.0, max_tokens=24),
    "repeat_penalty": sampling_differs(repeat_penalty=3.0, max_tokens=24),
    "top_k": sampling_differs(top_k=1),
    "stream": lambda: isinstance(next(iter(base()(PROMPT, max_tokens=2, stream=True))), dict) or pytest.fail("stream"),
    "seed": lambda: len(set(sampled(base()))) > 1 or pytest.fail("seed"),
    "mirostat_mode": sampling_differs(mirostat_mode=2),
    "mirostat_tau": sampling_differs(_mirostat_mode=2, mirostat_tau=0.5),
    "mirostat_eta": sampling_differs(_mirostat_mode=1, _mirostat_tau=2.0, mirostat_eta=1.0, max_tokens=40),
    "model": lambda: base()(PROMPT, max_tokens=1, model="my-name")["model"] == "my-name" or pytest.fail("model"),
    "stopping_criteria": _stopping_criteria,
    "logits_processor": _logits_processor,
    "grammar": lambda: base()(PROMPT, max_tokens=4, grammar='root ::= "yes"')["choices"][0]["text"] == "yes"
    or pytest.fail("grammar"),
    "logit_bias": lambda: base()(PROMPT, max_tokens=2, temperature=0, logit_bias={word(): 100.0})["choices"][0]["text"]
    == base().detokenize([word(), word()]).decode()
    or pytest.fail("logit_bias"),
}

COMPLETION_REFUSED: dict[str, tuple[Any, type[Exception]]] = {
    "tfs_z": (0.9, NotImplementedError),
}


# ------------------------------------------------ create_chat_completion
MESSAGES = [{"role": "user", "content": "Name a city."}]
TOOL = {
    "type": "function",
    "function": {
        "name": "lookup",
        "parameters": {"type": "object", "properties": {"q": {"enum": ["a", "b"]}}, "required": ["q"]},
    },
}


def chat(**kwargs: Any) -> dict[str, Any]:
    options = {"max_tokens": 12, "temperature": 0, **kwargs}
    return base().create_chat_completion(MESSAGES, **options)


def chat_sampled(**kwargs: Any) -> list[Any]:
    options = {"temperature": 1.0, "logit_bias": no_end(base()), **kwargs}
    return [chat(seed=s, **options)["choices"][0]["message"] for s in range(4)]


def chat_differs(**kwargs: Any) -> Callable[[], None]:
    def check() -> None:
        assert chat_sampled() != chat_sampled(**kwargs)

    return check


def _function_call() -> None:
    fn = TOOL["function"]
    out = chat(functions=[fn], function_call={"name": "lookup"}, max_tokens=200)
    calls = out["choices"][0]["message"]["tool_calls"]
    assert calls[0]["function"]["name"] == "lookup"


def _tool_choice() -> None:
    out = chat(tools=[TOOL], tool_choice="required", max_tokens=200)
    assert out["choices"][0]["message"]["tool_calls"][0]["function"]["name"] == "lookup"
    assert chat(tools=[TOOL], tool_choice="none")["choices"][0]["message"].get("tool_calls") is None


def _top_logprobs() -> None:
    out = chat(logprobs=True, top_logprobs=3, logit_bias=no_end(base()))
    entries = out["choices"][0]["logprobs"]["content"]
    assert len(entries) == out["usage"]["completion_tokens"] and all(len(e["top_logprobs"]) == 3 for e in entries)


CHAT_EFFECTS: dict[str, Callable[[], None]] = {
    "messages": lambda: chat()["choices"][0]["message"]
    != base().create_chat_completion([{"role": "user", "content": "Other."}], max_tokens=12, temperature=0)[
        "choices"
    ][0]["message"]
    or pytest.fail("messages"),
    "functions": _function_call,
    "function_call": _function_call,
    "tools": _tool_choice,
    "tool_choice": _tool_choice,
    "temperature": chat_differs(temperature=0.1),
    "top_p": chat_differs(top_k=0, top_p=0.2),
    "top_k": chat_differs(top_k=1),
    "min_p": chat_differs(top_k=0, min_p=0.4),
    "typical_p": chat_differs(top_k=0, typical_p=0.2),
    "stream": lambda: next(iter(chat(stream=True)))["object"] == "chat.completion.chunk" or pytest.fail("stream"),
    "stop": lambda: chat(stop=["a"], max_tokens=40)["choices"][0]["message"]["content"].count("a") == 0
    or pytest.fail("stop"),
    "seed": lambda: len({m["content"] for m in chat_sampled()}) > 1 or pytest.fail("seed"),
    # llama-cpp-python's whitespace (the default) allows one space after the value
    "response_format": lambda: chat(response_format={"type": "json_schema", "json_schema": {"schema": {"enum": ["x"]}}})[
        "choices"
    ][0]["message"]["content"]
    in ('"x"', '"x" ')
    or pytest.fail("response_format"),
    "max_tokens": lambda: chat(max_tokens=2, logit_bias=no_end(base()))["usage"]["completion_tokens"] == 2
    or pytest.fail("max_tokens"),
    "presence_penalty": chat_differs(presence_penalty=2.0, max_tokens=24),
    "frequency_penalty": chat_differs(frequency_penalty=2.0, max_tokens=24),
    "repeat_penalty": chat_differs(repeat_penalty=3.0, max_tokens=24),
    "mirostat_mode": chat_differs(mirostat_mode=2),
    "mirostat_tau": lambda: chat_sampled(mirostat_mode=2) != chat_sampled(mirostat_mode=2, mirostat_tau=0.5)
    or pytest.fail("mirostat_tau"),
    "mirostat_eta": lambda: chat_sampled(mirostat_mode=1, mirostat_tau=2.0, max_tokens=40)
    != chat_sampled(mirostat_mode=1, mirostat_tau=2.0, mirostat_eta=1.0, max_tokens=40)
    or pytest.fail("mirostat_eta"),
    "model": lambda: chat(model="named")["model"] == "named" or pytest.fail("model"),
    "logits_processor": lambda: chat(
        logits_processor=lambda ids, s: np.where(np.arange(len(s)) == word(), 0.0, -np.inf), max_tokens=2
    )["choices"][0]["message"]["content"]
    == base().detokenize([word(), word()]).decode()
    or pytest.fail("logits_processor"),
    "grammar": lambda: chat(grammar='root ::= "ok"')["choices"][0]["message"]["content"] == "ok" or pytest.fail("grammar"),
    "logit_bias": lambda: chat(logit_bias={word(): 100.0}, max_tokens=2)["choices"][0]["message"]["content"]
    == base().detokenize([word(), word()]).decode()
    or pytest.fail("logit_bias"),
    "logprobs": _top_logprobs,
    "top_logprobs": _top_logprobs,
}

CHAT_REFUSED: dict[str, tuple[Any, type[Exception]]] = {
    "tfs_z": (0.5, NotImplementedError),
}


# -------------------------------------------------------------- the walk
@cache
def llama_cpp_python_signatures() -> dict[str, list[str]]:
    """Parameter names of llama-cpp-python's ``Llama`` methods, read from its source."""
    tree = ast.parse(llama_cpp_python_source("llama_cpp/llama.py"))
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Llama")
    out = {}
    for node in cls.body:
        if isinstance(node, ast.FunctionDef):
            args = node.args
            out[node.name] = [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs if a.arg != "self"]
    return out


WALKED = {
    "__init__": (LOAD_EFFECTS, LOAD_REFUSED, GPU_PASS_THROUGH),
    "create_completion": (COMPLETION_EFFECTS, COMPLETION_REFUSED, {}),
    "create_chat_completion": (CHAT_EFFECTS, CHAT_REFUSED, {}),
}


@pytest.mark.parametrize("method", sorted(WALKED))
def test_every_llama_cpp_python_parameter_is_accepted_and_covered(method: str) -> None:
    theirs = llama_cpp_python_signatures()[method]
    ours = inspect.signature(getattr(Llama, method)).parameters
    effects, refused, gpu = WALKED[method]
    missing = [p for p in theirs if p not in ours]
    uncovered = [p for p in theirs if p not in effects and p not in refused and p not in gpu]
    assert not missing, f"Llama.{method} lacks llama-cpp-python's parameters {missing}"
    assert not uncovered, f"Llama.{method}: no effect check or refusal for {uncovered}"
    assert len(theirs) > 10  # the walk read the signature


def _params(table: dict[str, Any]) -> list[str]:
    return sorted(table)


@pytest.mark.parametrize("name", _params(LOAD_EFFECTS))
def test_load_parameter_acts(name: str, caplog: pytest.LogCaptureFixture) -> None:
    check = LOAD_EFFECTS[name]
    check(caplog) if "caplog" in inspect.signature(check).parameters else check()


@pytest.mark.parametrize("name", _params(GPU_PASS_THROUGH))
def test_gpu_parameter_reaches_llama_cpp_and_bad_values_refuse(name: str) -> None:
    good, bad, where = GPU_PASS_THROUGH[name]
    llm = load(**{name: good})
    assert getattr(llm, where)[name] == good
    if bad is not None:
        with pytest.raises(ValueError, match=name):
            load(**{name: bad})


@pytest.mark.parametrize(
    ("method", "name"),
    [(m, p) for m, (_, refused, _) in WALKED.items() for p in sorted(refused)],
)
def test_refused_parameter_names_itself(method: str, name: str) -> None:
    value, error = WALKED[method][1][name]
    with pytest.raises(error, match=name):
        if method == "__init__":
            load(**{name: value})
        elif method == "create_completion":
            base().create_completion(PROMPT, max_tokens=1, **{name: value})
        else:
            chat(**{name: value})


@pytest.mark.parametrize("name", _params(COMPLETION_EFFECTS))
def test_completion_parameter_acts(name: str) -> None:
    COMPLETION_EFFECTS[name]()


@pytest.mark.parametrize("name", _params(CHAT_EFFECTS))
def test_chat_parameter_acts(name: str) -> None:
    CHAT_EFFECTS[name]()


def test_unknown_keyword_arguments_are_errors() -> None:
    with pytest.raises(TypeError, match="not_a_parameter"):
        load(not_a_parameter=1)
    with pytest.raises(TypeError, match="not_a_parameter"):
        base().create_completion("x", not_a_parameter=1)


def test_a_lora_adapter_with_tensors_llama_cpp_cannot_multiply_is_refused(tmp_path: Any) -> None:
    import gguf

    writer = gguf.GGUFWriter(str(tmp_path / "bad.gguf"), "llama")
    writer.add_string("general.type", "adapter")
    writer.add_string("adapter.type", "lora")
    writer.add_float32("adapter.lora.alpha", 1.0)
    writer.add_tensor("blk.0.attn_q.weight.lora_a", np.zeros((4, 128), dtype=np.float64))
    writer.add_tensor("blk.0.attn_q.weight.lora_b", np.zeros((128, 4), dtype=np.float64))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    with pytest.raises(ValueError, match="f64"):
        load(lora_path=str(tmp_path / "bad.gguf"))
    with pytest.raises(ValueError, match="not found"):
        load(lora_path=str(tmp_path / "missing.gguf"))
