"""What ChatLlamaCpp tells agents about itself, and the error it raises when a conversation outgrows the context."""

from __future__ import annotations

import asyncio

import pytest
from langchain_core.exceptions import ContextOverflowError

from langchain_llama_native import ChatLlamaCpp
from llama_native import ContextOverflowError as NativeContextOverflowError
from llama_native.testing import synthetic_model_path

from helpers import ENV_MODEL


@pytest.fixture(scope="module")
def small_chat() -> ChatLlamaCpp:
    return ChatLlamaCpp(model_path=str(ENV_MODEL or synthetic_model_path()), n_ctx=256, max_tokens=4)


def test_profile_reports_the_loaded_context_and_capabilities(small_chat: ChatLlamaCpp) -> None:
    profile = small_chat.profile
    assert profile is not None
    assert profile["max_input_tokens"] == 256
    assert profile["tool_calling"] and profile["structured_output"] and profile["text_inputs"]
    assert not profile["image_inputs"]
    given = ChatLlamaCpp(model_path=small_chat.model_path, profile={"max_input_tokens": 9})
    assert given.profile == {"max_input_tokens": 9}  # a caller's profile is kept


@pytest.mark.parametrize("how", ["invoke", "stream", "ainvoke", "astream"])
def test_a_prompt_longer_than_the_context_raises_langchains_error(small_chat: ChatLlamaCpp, how: str) -> None:
    long_prompt = "hello " * 400

    async def astream() -> list:
        return [c async for c in small_chat.astream(long_prompt)]

    calls = {
        "invoke": lambda: small_chat.invoke(long_prompt),
        "stream": lambda: list(small_chat.stream(long_prompt)),
        "ainvoke": lambda: asyncio.run(small_chat.ainvoke(long_prompt)),
        "astream": lambda: asyncio.run(astream()),
    }
    with pytest.raises(ContextOverflowError) as caught:
        calls[how]()
    assert isinstance(caught.value, ValueError)  # code written for llama-cpp-python catches ValueError
    assert isinstance(caught.value.__cause__, NativeContextOverflowError)
    assert caught.value.__cause__.n_ctx == 256 and caught.value.__cause__.prompt_tokens > 256
    assert small_chat.invoke("hi").content is not None  # the model is still usable
