"""LangChain v1 agents on ChatLlamaCpp: structured responses by both strategies, and summarization on overflow.

The strategy test runs on the embedded micro model, trained to call tools and
fill schemas (or on ``LLAMA_NATIVE_TEST_MODEL``).
"""

from __future__ import annotations

from typing import Any

import pytest
from langchain.agents import create_agent
from langchain.agents.middleware import SummarizationMiddleware
from langchain.agents.structured_output import ProviderStrategy, ToolStrategy
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.exceptions import ContextOverflowError
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.tools import tool
from pydantic import BaseModel, Field

from langchain_llama_native import ChatLlamaCpp
from llama_native.default_model import MICRO_MODEL_PATH
from llama_native.testing import real_tokenizer_model_path

from helpers import ENV_MODEL


class OverflowCounter(BaseCallbackHandler):
    """Counts model calls that failed because the prompt outgrew the context."""

    def __init__(self) -> None:
        self.overflows = 0

    def on_llm_error(self, error: BaseException, **kwargs: Any) -> None:
        self.overflows += isinstance(error, ContextOverflowError)


def long_history(notes: int) -> list[BaseMessage]:
    history: list[BaseMessage] = []
    for i in range(notes):
        history += [HumanMessage(f"note {i}: the meeting moved to room {i}. " * 4), AIMessage(f"noted {i}")]
    return history + [HumanMessage("where is the meeting?")]


def test_summarization_middleware_recovers_from_a_context_overflow() -> None:
    # a real (llama-bpe) tokenizer, so langchain's summary prompt fits a small context
    chat = ChatLlamaCpp(model_path=str(ENV_MODEL or real_tokenizer_model_path("llama-bpe")), n_ctx=1024,
                        max_tokens=16, temperature=0)
    history = long_history(30)
    with pytest.raises(ContextOverflowError):
        chat.invoke(history)  # the whole conversation does not fit
    counter = OverflowCounter()
    middleware = SummarizationMiddleware(
        model=chat,
        trigger=("fraction", 0.5),  # of chat.profile["max_input_tokens"]
        keep=("messages", 1),
        token_counter=chat.get_num_tokens_from_messages,
    )
    agent = create_agent(model=chat, tools=[], middleware=[middleware])
    result = agent.invoke({"messages": history}, config={"callbacks": [counter]})
    messages = result["messages"]
    assert "summary" in str(messages[0].content).lower()  # the history was replaced by its summary
    assert messages[-2].content == "where is the meeting?" and isinstance(messages[-1], AIMessage)
    assert counter.overflows >= 1  # the first summary prompt overflowed; the middleware cut it and retried


class Weather(BaseModel):
    """The answer an agent must return."""

    city: str = Field(max_length=20)
    temperature_c: int = Field(ge=-90, le=60)


@tool
def get_temperature(city: str) -> int:
    """Current temperature in a city, in Celsius."""
    return 21


@pytest.mark.parametrize("strategy", [ToolStrategy, ProviderStrategy])
def test_create_agent_with_tools_and_a_response_format(strategy: type) -> None:
    """ToolStrategy (the schema as one more tool) and ProviderStrategy (tools and response_format in one request)."""
    chat = ChatLlamaCpp(model_path=str(ENV_MODEL or MICRO_MODEL_PATH), n_ctx=2048, max_tokens=200, temperature=0)
    agent = create_agent(model=chat, tools=[get_temperature], response_format=strategy(Weather))
    result = agent.invoke({"messages": [HumanMessage("What is the temperature in Porto?")]})
    assert isinstance(result["structured_response"], Weather)
    assert any(isinstance(m, ToolMessage) for m in result["messages"])  # the tool ran on the way
