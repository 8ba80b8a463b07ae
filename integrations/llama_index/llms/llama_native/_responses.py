"""Chat-completion and completion dicts (whole or chunk by chunk) as LlamaIndex's responses.

A streamed reply comes as cumulative responses: each carries the text so far
and the new piece as ``delta``; empty chunks are skipped, and leaving the
stream early closes it (which stops the generation).

Example::

    >>> reply = chat_response({"choices": [{"message": {"content": "Hi"}, "finish_reason": "stop"}]})
    >>> reply.message.content, reply.additional_kwargs
    ('Hi', {'finish_reason': 'stop'})
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from llama_index.core.base.llms.types import (
    ChatResponse,
    ChatResponseAsyncGen,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseAsyncGen,
    CompletionResponseGen,
    LogProb,
)

from llama_native.timings import ollama_durations

from ._messages import assistant_message

#: one chunk's step of a streamed reply: the response so far, or None for an empty chunk
Step = Callable[[dict[str, Any]], ChatResponse | None]

def timing_kwargs(response: dict[str, Any]) -> dict[str, Any]:
    """llama-server's ``timings`` and Ollama's duration names (nanoseconds), when the reply has them.

    Example::

        >>> from llama_native.timings import make_timings
        >>> timing_kwargs({"timings": make_timings(3, 1.0, 2, 4.0)})["eval_count"]
        2
    """
    timings = response.get("timings")
    if not isinstance(timings, dict):
        return {}
    return {"timings": timings, **ollama_durations(timings)}


def checked(response: ChatResponse, check: Callable[[ChatResponse], None] | None) -> ChatResponse:
    """``response``, once ``check`` (if any) has seen it; the check may raise."""
    if check is not None:
        check(response)
    return response


def chat_response(response: dict[str, Any]) -> ChatResponse:
    """A ``chat.completion`` as a ``ChatResponse`` (finish reason, a cut call's mark and logprobs beside it)."""
    choice = response["choices"][0]
    message = choice["message"]
    reply = assistant_message(
        message.get("content") or "", message.get("tool_calls") or [], message.get("reasoning_content")
    )
    extra: dict[str, Any] = {"finish_reason": choice["finish_reason"], **timing_kwargs(response)}
    if choice.get("incomplete_tool_call"):
        extra["incomplete_tool_call"] = True
    logprobs = as_logprobs(choice.get("logprobs"))
    return ChatResponse(message=reply, raw=response, additional_kwargs=extra, logprobs=logprobs)


def chat_from_completion(response: dict[str, Any]) -> ChatResponse:
    """A ``text_completion`` (a chat shaped by ``messages_to_prompt``) as a ``ChatResponse``."""
    choice = response["choices"][0]
    return ChatResponse(
        message=assistant_message(choice["text"], []),
        raw=response,
        additional_kwargs={"finish_reason": choice["finish_reason"], **timing_kwargs(response)},
        logprobs=as_logprobs(choice.get("logprobs")),
    )


def as_logprobs(raw: dict[str, Any] | None) -> list[list[LogProb]] | None:
    """Per token, its top alternatives as ``LogProb``\\ s (as llama-index-llms-openai), from either OpenAI shape."""
    if raw is None:
        return None
    if "content" in raw:  # chat: {"content": [{token, logprob, bytes, top_logprobs}]}
        return [
            [LogProb(token=t["token"], logprob=t["logprob"], bytes=t["bytes"]) for t in e["top_logprobs"]]
            or [LogProb(token=e["token"], logprob=e["logprob"], bytes=e["bytes"])]
            for e in raw["content"] or []
        ]
    return [  # text completion: {"tokens", "token_logprobs", "top_logprobs": [{text: logprob}]}
        [LogProb(token=t, logprob=lp, bytes=list(t.encode("utf-8"))) for t, lp in (top or {}).items()]
        for top in raw["top_logprobs"]
    ]


def completion_response(response: dict[str, Any]) -> CompletionResponse:
    """A ``text_completion`` as a ``CompletionResponse``."""
    choice = response["choices"][0]
    return CompletionResponse(
        text=choice["text"],
        raw=response,
        logprobs=as_logprobs(choice.get("logprobs")),
        additional_kwargs=timing_kwargs(response),
    )


def completion_from_chat(response: ChatResponse) -> CompletionResponse:
    """A chat reply (of a prompt sent through the chat template) as a ``CompletionResponse``."""
    return CompletionResponse(
        text=response.message.content or "",
        delta=response.delta,
        raw=response.raw,
        additional_kwargs=response.additional_kwargs,
        logprobs=response.logprobs,
    )


class ChatAccumulator:
    """Turns chat-completion chunks into cumulative ``ChatResponse``\\ s with deltas."""

    def __init__(self) -> None:
        self.text = ""
        self.thinking = ""
        self.calls: list[dict[str, Any]] = []

    def add(self, chunk: dict[str, Any]) -> ChatResponse | None:
        """The reply so far after ``chunk``; thinking deltas in ``additional_kwargs["thinking_delta"]``."""
        choice = chunk["choices"][0]
        delta = choice.get("delta") or {}
        piece = delta.get("content") or ""
        thought = delta.get("reasoning_content") or ""
        self.text += piece
        self.thinking += thought
        self.calls += [{k: v for k, v in c.items() if k != "index"} for c in delta.get("tool_calls") or []]
        finish = choice.get("finish_reason")
        if not piece and not thought and not delta.get("tool_calls") and finish is None:
            return None
        extra: dict[str, Any] = {"finish_reason": finish, **timing_kwargs(chunk)} if finish else {}
        if choice.get("incomplete_tool_call"):
            extra["incomplete_tool_call"] = True
        if thought:  # as llama-index-llms-ollama streams thinking
            extra["thinking_delta"] = thought
        reply = assistant_message(self.text, self.calls, self.thinking or None)
        return ChatResponse(message=reply, delta=piece, raw=chunk, additional_kwargs=extra)

    def add_text(self, chunk: dict[str, Any]) -> ChatResponse | None:
        """The reply so far after a ``text_completion`` chunk (a chat shaped by ``messages_to_prompt``)."""
        choice = chunk["choices"][0]
        self.text += choice["text"]
        if not choice["text"] and choice.get("finish_reason") is None:
            return None
        return ChatResponse(
            message=assistant_message(self.text, []),
            delta=choice["text"],
            raw=chunk,
            additional_kwargs=timing_kwargs(chunk),
        )


def responses(chunks: Any, step: Step, check: Callable[[ChatResponse], None] | None = None) -> ChatResponseGen:
    """``step(chunk)`` for each chunk, skipping empty ones; closing the chunks (and the generation) at the end.

    ``check`` sees each response before it is yielded (and may raise at the last).
    """
    try:
        for chunk in chunks:
            response = step(chunk)
            if response is not None:
                yield checked(response, check)
    finally:
        chunks.close()


async def aresponses(
    chunks: Any, step: Step, check: Callable[[ChatResponse], None] | None = None
) -> ChatResponseAsyncGen:
    """:func:`responses` of an async stream; leaving early cancels the native generation."""
    try:
        async for chunk in chunks:
            response = step(chunk)
            if response is not None:
                yield checked(response, check)
    finally:
        await chunks.aclose()  # cancels the native generation if the consumer left early


def completion_stream(chunks: Any) -> CompletionResponseGen:
    """``text_completion`` chunks as cumulative ``CompletionResponse``\\ s; closing the chunks at the end."""
    text = ""
    try:
        for chunk in chunks:
            piece = chunk["choices"][0]["text"]
            text += piece
            yield CompletionResponse(text=text, delta=piece, raw=chunk, additional_kwargs=timing_kwargs(chunk))
    finally:
        chunks.close()


async def acompletion_stream(chunks: Any) -> CompletionResponseAsyncGen:
    """:func:`completion_stream` of an async stream."""
    text = ""
    try:
        async for chunk in chunks:
            piece = chunk["choices"][0]["text"]
            text += piece
            yield CompletionResponse(text=text, delta=piece, raw=chunk, additional_kwargs=timing_kwargs(chunk))
    finally:
        await chunks.aclose()
