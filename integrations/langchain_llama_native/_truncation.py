"""Replies cut by ``max_tokens`` are never parsed as whole: langchain-core's ``OutputParserException`` instead.

The chat model returns a cut reply as any LangChain chat model does
(``response_metadata["finish_reason"] == "length"``, with ``max_tokens``, the
limit it ran under, beside it).  What must not take it for a whole one raises
here: the structured-output runnables, before their parser (which would close
truncated JSON and might return a half-filled object), and a call that
required a tool call when none was complete before the cut.  Calls completed
before a cut are whole, and count as the reply's calls.

Example::

    >>> from langchain_core.messages import AIMessage
    >>> cut = AIMessage('{"names": [",', response_metadata={"finish_reason": "length", "max_tokens": 10},
    ...                 usage_metadata={"input_tokens": 5, "output_tokens": 10, "total_tokens": 15})
    >>> CutCheck("the Team")(cut)
    Traceback (most recent call last):
    ...
    langchain_core.exceptions.OutputParserException: the reply was cut at max_tokens=10 (10 completion tokens) ...
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from langchain_core.exceptions import OutputParserException
from langchain_core.messages import BaseMessage
from langchain_core.runnables import Runnable, RunnableGenerator

from llama_native import OutputTruncatedError
from llama_native.truncation import required_call


class CutCheck:
    """Follows one reply, whole or chunk by chunk, and raises once it ends cut before ``what`` was whole.

    ``calls_count``: a tool call completed before the cut makes the reply
    whole (forced calls and ``method="function_calling"``); otherwise any
    cut reply is incomplete.  ``opened_call_only`` (``tool_choice="auto"``):
    only a reply whose cut came inside a tool call it had opened
    (``response_metadata["incomplete_tool_call"]``) is incomplete.
    """

    def __init__(self, what: str, calls_count: bool = False, opened_call_only: bool = False) -> None:
        self.what = what
        self.calls_count = calls_count
        self.opened_call_only = opened_call_only
        self.text = ""
        self.called = False

    def __call__(self, message: BaseMessage) -> None:
        """Take the next message (or chunk) of the reply; ``OutputParserException`` if it ends the reply cut."""
        if isinstance(message.content, str):
            self.text += message.content
        self.called = self.called or bool(getattr(message, "tool_calls", None))
        self.called = self.called or bool(getattr(message, "tool_call_chunks", None))
        meta = message.response_metadata
        if meta.get("finish_reason") != "length" or (self.calls_count and self.called):
            return
        if self.opened_call_only and not meta.get("incomplete_tool_call"):
            return  # a cut text reply under tool_choice="auto" is a reply, as with any chat model
        usage = getattr(message, "usage_metadata", None)
        error = OutputTruncatedError(
            self.what,
            max_tokens=meta.get("max_tokens"),
            completion_tokens=usage["output_tokens"] if usage else None,
            output=self.text,
        )
        raise OutputParserException(str(error), llm_output=self.text) from error


def tool_call_check(params: dict[str, Any]) -> CutCheck | None:
    """The check a chat request's tools ask for (None without tools, or with ``tool_choice="none"``).

    A required call (``tool_choice`` ``"required"`` or a name) must be
    complete; under ``"auto"`` the cut may not come inside a call the model
    had opened.
    """
    required = required_call(params.get("tool_choice"))
    if required:
        return CutCheck(required, calls_count=True)
    if params.get("tools") and params.get("tool_choice") != "none":  # "auto": only a call cut mid-way is refused
        return CutCheck("the tool call", calls_count=True, opened_call_only=True)
    return None


def refuse_cut(what: str, calls_count: bool = False) -> Runnable[BaseMessage, BaseMessage]:
    """A pass-through runnable (streaming too) that raises ``OutputParserException`` at the end of a cut reply.

    Put before a parser: chunks flow on as they come, so a streaming parser
    still yields its partial objects, and the stream ends with the error
    instead of a half-filled object.
    """

    def check(messages: Iterator[BaseMessage]) -> Iterator[BaseMessage]:
        seen = CutCheck(what, calls_count)
        for message in messages:
            seen(message)
            yield message

    async def acheck(messages: AsyncIterator[BaseMessage]) -> AsyncIterator[BaseMessage]:
        seen = CutCheck(what, calls_count)
        async for message in messages:
            seen(message)
            yield message

    return RunnableGenerator(check, acheck, name="RefuseCutReply")
