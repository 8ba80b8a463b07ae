"""Replies cut by ``max_new_tokens`` are never taken for whole: :class:`llama_native.OutputTruncatedError`.

The error is a ``ValueError``, as LlamaIndex's own structured-output programs
raise for output they cannot use (``FunctionCallingProgram`` when no call
came back, pydantic's ``ValidationError`` from ``LLMTextCompletionProgram``).
``structured_predict`` and its streaming and async forms raise it for a cut
object; a request that requires a tool call (``tool_required=True``, a named
``tool_choice``, ``FunctionAgent(initial_tool_choice=...)``) raises it when
the cut came before any call was complete.  Calls completed before a cut are
whole, and come back as the reply's calls (``finish_reason="length"``).

Example::

    >>> from llama_index.core.llms import ChatMessage, ChatResponse
    >>> cut = ChatResponse(message=ChatMessage(role="assistant", content='{"name": "A'),
    ...                    raw={"usage": {"completion_tokens": 8}}, additional_kwargs={"finish_reason": "length"})
    >>> raise_if_cut(cut, "the Owner", Limit(8, "max_new_tokens"))
    Traceback (most recent call last):
    ...
    llama_native.truncation.OutputTruncatedError: the reply was cut at max_new_tokens=8 (8 completion tokens) ...
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from llama_index.core.base.llms.types import ChatResponse, ToolCallBlock

from llama_native import OutputTruncatedError


class Limit(NamedTuple):
    """The output limit a request ran under (None: none), and the name of the setting that gave it."""

    max_tokens: int | None
    name: str


def raise_if_cut(response: ChatResponse, what: str, limit: Limit) -> None:
    """``OutputTruncatedError`` when ``response`` is the end of a reply cut (``finish_reason == "length"``)."""
    if response.additional_kwargs.get("finish_reason") != "length":
        return
    raw: Any = response.raw if isinstance(response.raw, dict) else {}
    raise OutputTruncatedError(
        what,
        max_tokens=limit.max_tokens,
        completion_tokens=(raw.get("usage") or {}).get("completion_tokens"),
        output=response.message.content or "",
        limit_name=limit.name,
    )


def call_check(
    what: str | None, limit: Limit, opened_call_only: bool = False
) -> Callable[[ChatResponse], None] | None:
    """For a request that requires a call (``what`` names it): a check that refuses a reply cut before any call.

    None when the request requires no call.  ``opened_call_only`` (tools
    under ``tool_choice="auto"``): only a reply cut inside a call it had
    opened (``additional_kwargs["incomplete_tool_call"]``) is refused; a cut
    text reply is a reply.
    """
    if what is None:
        return None
    required: str = what

    def check(response: ChatResponse) -> None:
        if opened_call_only and not response.additional_kwargs.get("incomplete_tool_call"):
            return
        if not any(isinstance(block, ToolCallBlock) for block in response.message.blocks):
            raise_if_cut(response, required, limit)

    return check
