"""One chat request of ``ChatLlamaCpp``: what is sent, and how its reply (whole or streamed) comes back.

``_generate``, ``_stream``, ``_agenerate`` and ``_astream`` differ only in
how they call the model (sync or async, whole or streamed); the request and
the conversion of the reply, with its truncation check, are built here once.
The whole reply is not assembled from the stream: a ``chat.completion``
carries what chunks do not (its id, the raw tool calls in
``additional_kwargs``), and ``invoke`` keeps returning it as it is.

Example::

    >>> from langchain_core.messages import HumanMessage
    >>> call = ChatCall([HumanMessage("hi")], {"max_tokens": 4}, "model.gguf", None)
    >>> call.messages
    [{'role': 'user', 'content': 'hi'}]
    >>> reply = {"id": "c1", "choices": [{"message": {"content": "Hello"}, "finish_reason": "length"}],
    ...          "usage": {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7}}
    >>> call.result(reply).generations[0].message.response_metadata["max_tokens"]
    4
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

from llama_native.request import ChatRequest

from ._messages import to_ai_chunk, to_ai_message, to_openai_messages
from ._truncation import CutCheck


class ChatCall:
    """A chat completion request (``messages``, ``params``) and the conversion of its reply to LangChain's types.

    ``check`` (None: none) sees the whole reply, or each chunk of a streamed
    one, and raises ``OutputParserException`` when the reply ends cut before
    what the request required.
    """

    def __init__(
        self, messages: Sequence[BaseMessage], params: dict[str, Any], model_name: str, check: CutCheck | None
    ) -> None:
        self.params = params
        self.messages = to_openai_messages(messages)
        self.model_name = model_name
        self.check = check
        #: the typed request, read and checked once (``stream`` is set per call)
        self.request = ChatRequest.from_arguments({"messages": self.messages, **params})

    def streamed(self) -> ChatRequest:
        """The request, streamed."""
        return self.request.replace(stream=True)

    @property
    def max_tokens(self) -> int | None:
        """The limit the request ran under (None: the context's end), reported beside a cut reply."""
        return self.params.get("max_tokens")

    def result(self, response: dict[str, Any]) -> ChatResult:
        """The ``ChatResult`` of a whole ``chat.completion`` (checked)."""
        result = chat_result(response, self.model_name, self.max_tokens)
        if self.check is not None:
            self.check(result.generations[0].message)
        return result

    def chunk(self, raw: dict[str, Any]) -> ChatGenerationChunk | None:
        """The ``ChatGenerationChunk`` of a ``chat.completion.chunk`` (checked), None for an empty delta."""
        generation = generation_chunk(raw, self.model_name, self.max_tokens)
        if generation is not None and self.check is not None:
            self.check(generation.message)
        return generation


def chat_result(response: dict[str, Any], model_name: str, max_tokens: int | None) -> ChatResult:
    """A ``chat.completion`` as a ``ChatResult``; a cut reply says which ``max_tokens`` cut it."""
    message = to_ai_message(response, model_name)
    info = {"finish_reason": response["choices"][0].get("finish_reason")}
    if info["finish_reason"] == "length":
        message.response_metadata["max_tokens"] = max_tokens  # the limit that cut it (None: the context's end)
        if response["choices"][0].get("incomplete_tool_call"):
            message.response_metadata["incomplete_tool_call"] = True
    return ChatResult(
        generations=[ChatGeneration(message=message, generation_info=info)],
        llm_output={"token_usage": response.get("usage"), "model_name": model_name},
    )


def generation_chunk(raw: dict[str, Any], model_name: str, max_tokens: int | None) -> ChatGenerationChunk | None:
    """A ``chat.completion.chunk`` as a ``ChatGenerationChunk`` (None for an empty delta)."""
    message = to_ai_chunk(raw, model_name)
    if message is None:
        return None
    finish = raw["choices"][0].get("finish_reason")
    if finish == "length":
        message.response_metadata["max_tokens"] = max_tokens
        if raw["choices"][0].get("incomplete_tool_call"):
            message.response_metadata["incomplete_tool_call"] = True
    return ChatGenerationChunk(message=message, generation_info={"finish_reason": finish} if finish else None)
