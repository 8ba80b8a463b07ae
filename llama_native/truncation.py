"""Replies cut by ``max_tokens`` where a whole object or tool call was asked for.

``Llama.create_chat_completion`` returns a cut reply as OpenAI does: the text
as far as it went, ``finish_reason="length"``, and only the tool calls
completed before the cut.  Code that turns a reply into an object (LangChain's
``with_structured_output``, LlamaIndex's ``structured_predict``) or that
required a tool call must not take a cut reply for a whole one: it raises
:class:`OutputTruncatedError` (the LangChain integration raises
langchain-core's ``OutputParserException`` from it), whose message says what
cut the reply and which setting to raise.

Example::

    >>> error = OutputTruncatedError("the Team", max_tokens=10, completion_tokens=10)
    >>> print(error)
    the reply was cut at max_tokens=10 (10 completion tokens) before the Team was complete: raise max_tokens
    >>> isinstance(error, ValueError), required_call("required"), required_call("auto")
    (True, 'the tool call', None)
"""

from __future__ import annotations

from typing import Any


class OutputTruncatedError(ValueError):
    """A reply cut (``finish_reason == "length"``) before the object or tool call it was to hold was complete.

    A ``ValueError``, as LlamaIndex's structured-output programs raise for
    output they cannot use.  ``what`` names what was cut ("the Team", "the
    tool call"); ``max_tokens`` is the limit the request ran under (None or 0:
    none, so the end of the context cut it); ``completion_tokens`` how many
    tokens the reply holds; ``output`` its text as far as it went;
    ``limit_name`` the setting's name where the caller sets it
    (``max_new_tokens`` in LlamaIndex).
    """

    def __init__(
        self,
        what: str,
        *,
        max_tokens: int | None,
        completion_tokens: int | None,
        output: str = "",
        limit_name: str = "max_tokens",
    ) -> None:
        super().__init__(_message(what, max_tokens, completion_tokens, limit_name))
        self.what = what
        self.max_tokens = max_tokens
        self.completion_tokens = completion_tokens
        self.output = output
        self.limit_name = limit_name


def _message(what: str, max_tokens: int | None, completion_tokens: int | None, limit_name: str) -> str:
    """Which limit cut the reply, how many tokens it holds, and what to raise."""
    used = "" if completion_tokens is None else f" ({completion_tokens} completion tokens)"
    if max_tokens and (completion_tokens is None or completion_tokens >= max_tokens):
        return f"the reply was cut at {limit_name}={max_tokens}{used} before {what} was complete: raise {limit_name}"
    within = f" under {limit_name}={max_tokens}" if max_tokens else ""
    return (
        f"the reply was cut by the end of the context{used}{within} before {what} was complete: "
        "load the model with a larger context (n_ctx) or shorten the prompt"
    )


def required_call(tool_choice: Any) -> str | None:
    """What a ``tool_choice`` requires: "the tool call" ("required"), "the NAME call" (a named function), or None.

    A reply to a request that requires a call, cut before any call was
    complete, holds no call: it is incomplete, not an answer.
    """
    if tool_choice == "required":
        return "the tool call"
    if isinstance(tool_choice, dict):
        name = (tool_choice.get("function") or {}).get("name") or tool_choice.get("name")
        return f"the {name} call"
    return None
