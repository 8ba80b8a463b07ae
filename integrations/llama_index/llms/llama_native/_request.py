"""One request of ``LlamaCPP`` to the model, sent the same way by its sync, async and streaming methods.

A chat goes through the model's chat template (``create_chat_completion``),
or, when the LLM has a ``messages_to_prompt``, as that prompt's text
completion; a text completion sends its prompt as is.  ``chat``,
``stream_chat``, ``achat`` and ``astream_chat`` (and the completion methods)
build a :class:`Request`, send it, and turn its reply into responses here, so
the parameters, the truncation check and the conversion are the same on
every path.

Example::

    >>> request = Request({"max_tokens": 4}, [{"role": "user", "content": "hi"}])
    >>> reply = {"choices": [{"message": {"content": "Hello"}, "finish_reason": "stop"}]}
    >>> request.chat_response(reply).message.content
    'Hello'
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from llama_index.core.base.llms.types import ChatResponse, ChatResponseAsyncGen, ChatResponseGen

from llama_native import Llama
from llama_native.request import ChatRequest, CompletionRequest

from ._responses import ChatAccumulator, Step, aresponses, chat_from_completion, chat_response, checked, responses


class Request:
    """The model's arguments for one call: ``params``, and ``prompt``, chat messages (dicts) or a text prompt.

    ``check`` (chat only; None: none) sees the whole reply, or each streamed
    response, and raises when the reply ends cut before what the request
    required (a tool call).
    """

    def __init__(
        self,
        params: dict[str, Any],
        prompt: str | list[dict[str, Any]],
        check: Callable[[ChatResponse], None] | None = None,
    ) -> None:
        self.params = params
        self.prompt = prompt
        self.check = check

    @property
    def text(self) -> bool:
        """A text completion (of a prompt), not a chat through the template."""
        return isinstance(self.prompt, str)

    def typed(self, stream: bool = False) -> ChatRequest | CompletionRequest:
        """The typed request the model runs (read and checked once, as every entry point does)."""
        if isinstance(self.prompt, str):
            return CompletionRequest.from_arguments({"prompt": self.prompt, "stream": stream, **self.params})
        return ChatRequest.from_arguments({"messages": self.prompt, "stream": stream, **self.params})

    def send(self, client: Llama, stream: bool = False) -> Any:
        """The model's reply: a completion dict, or (``stream``) its chunks."""
        return client.run(self.typed(stream))

    async def asend(self, client: Llama, stream: bool = False) -> Any:
        """Awaitable :meth:`send` (chunks as an async iterator); the event loop runs meanwhile."""
        return await client.arun(self.typed(stream))

    def chat_response(self, response: dict[str, Any]) -> ChatResponse:
        """The whole reply as a ``ChatResponse`` (checked)."""
        if self.text:
            return chat_from_completion(response)
        return checked(chat_response(response), self.check)

    def chat_stream(self, chunks: Any) -> ChatResponseGen:
        """The streamed reply as cumulative ``ChatResponse``\\ s (each checked)."""
        return responses(chunks, self._step(), self.check)

    def achat_stream(self, chunks: Any) -> ChatResponseAsyncGen:
        """:meth:`chat_stream` of an async stream."""
        return aresponses(chunks, self._step(), self.check)

    def _step(self) -> Step:
        accumulator = ChatAccumulator()
        return accumulator.add_text if self.text else accumulator.add
