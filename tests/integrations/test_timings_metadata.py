"""The reply's timings in LangChain (ChatOllama's names, nanoseconds) and LlamaIndex (raw, additional_kwargs)."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import HumanMessage
from llama_index.core.llms import ChatMessage

from langchain_llama_native import ChatLlamaCpp, LlamaCpp
from llama_index.llms.llama_native import LlamaCPP
from llama_native.testing import synthetic_model_path

OLLAMA_NAMES = ("total_duration", "load_duration", "prompt_eval_count", "prompt_eval_duration", "eval_count",
                "eval_duration")  # fmt: skip


def check_ollama(meta: dict[str, Any], output_tokens: int) -> None:
    for name in OLLAMA_NAMES:
        assert isinstance(meta[name], int) and meta[name] >= 0, name
    assert meta["eval_count"] == output_tokens
    assert meta["total_duration"] >= meta["prompt_eval_duration"] + meta["eval_duration"] > 0
    t = meta["timings"]
    assert meta["eval_duration"] == round(t["predicted_ms"] * 1e6)  # nanoseconds from milliseconds
    assert meta["prompt_eval_count"] == t["prompt_n"]


@pytest.fixture(scope="module")
def chat() -> ChatLlamaCpp:
    return ChatLlamaCpp(model_path=str(synthetic_model_path()), n_ctx=256, max_tokens=6, temperature=0)


def test_langchain_chat_whole_and_streamed(chat: ChatLlamaCpp) -> None:
    reply = chat.invoke([HumanMessage("hello")])
    usage = reply.usage_metadata
    assert usage is not None
    check_ollama(reply.response_metadata, usage["output_tokens"])
    assert usage["input_token_details"]["cache_read"] == reply.response_metadata["timings"]["cache_n"]
    again = chat.invoke([HumanMessage("hello")])  # the same prompt again: read from the KV cache
    assert again.usage_metadata is not None and again.usage_metadata["input_token_details"]["cache_read"] > 0
    full = None
    for piece in chat.stream([HumanMessage("hello")]):
        full = piece if full is None else full + piece
    assert full is not None and full.usage_metadata is not None
    check_ollama(full.response_metadata, full.usage_metadata["output_tokens"])


def test_langchain_llm_generation_info() -> None:
    llm = LlamaCpp(model_path=str(synthetic_model_path()), n_ctx=256, max_tokens=5, temperature=0)
    result = llm.generate(["one two"])
    info = result.generations[0][0].generation_info or {}
    usage = (result.llm_output or {})["token_usage"]
    check_ollama(info, usage["completion_tokens"])


def test_llama_index_raw_and_additional_kwargs() -> None:
    llm = LlamaCPP(model_path=str(synthetic_model_path()), context_window=256, max_new_tokens=5, temperature=0)
    reply = llm.chat([ChatMessage(role="user", content="hello")])
    raw: Any = reply.raw
    assert reply.additional_kwargs["timings"] == raw["timings"]
    check_ollama(reply.additional_kwargs, raw["usage"]["completion_tokens"])
    last = list(llm.stream_chat([ChatMessage(role="user", content="hello")]))[-1]
    assert "timings" in last.additional_kwargs and last.additional_kwargs["eval_count"] >= 0
    done = llm.complete("one two")
    done_raw: Any = done.raw
    assert done.additional_kwargs["timings"]["predicted_n"] == done_raw["usage"]["completion_tokens"]
