"""Thinking apart from the answer: ``<think>...</think>`` becomes ``reasoning_content``.

Reasoning models (Qwen3, DeepSeek-R1, ...) write their thinking between
``<think>`` and ``</think>`` before the answer; some templates open the tag
in the prompt, so the reply starts inside it.  As llama-server does (its
default ``--reasoning-format``), a chat reply of such a template is split:
the thinking goes to ``message["reasoning_content"]`` (and to
``reasoning_content`` deltas when streaming), the rest is ``content``.
A reply cut before ``</think>`` is all reasoning.  Templates without the
markers are left alone.

Example::

    >>> from llama_native.chat.reasoning import split_reasoning
    >>> split_reasoning("<think>\\nSum first.\\n</think>\\n\\n42", opened=False)
    ('Sum first.', '42')
    >>> split_reasoning("just text", opened=False)
    (None, 'just text')
"""

from __future__ import annotations

OPEN = "<think>"
CLOSE = "</think>"


def template_thinks(template: str | None) -> bool:
    """Whether a chat template marks thinking with ``<think>``/``</think>``."""
    return CLOSE in (template or "")


def prompt_opens_thinking(prompt: str) -> bool:
    """Whether a rendered prompt ends inside an opened ``<think>`` (the reply starts thinking)."""
    tail = prompt.rstrip()
    return tail.endswith(OPEN)


def split_reasoning(text: str, *, opened: bool) -> tuple[str | None, str]:
    """``(reasoning, content)`` of a reply; reasoning is None when the reply does not think.

    ``opened``: the prompt already opened ``<think>``.
    """
    body = text.lstrip()
    if body.startswith(OPEN):
        body, opened = body[len(OPEN) :], True
    if not opened:
        return None, text
    end = body.find(CLOSE)
    if end < 0:
        return body.strip(), ""
    return body[:end].strip(), body[end + len(CLOSE) :].lstrip()


class ReasoningStream:
    """Splits streamed text exactly as :func:`split_reasoning` splits the whole.

    ``feed(piece)`` returns ``(reasoning_delta, content_delta)``.  Text that
    could still be the start of a tag, and whitespace that may turn out to
    end the reasoning or start the content, wait for the next piece (or for
    ``final=True``).
    """

    def __init__(self, *, opened: bool) -> None:
        self.text = ""
        self.opened = opened
        self.decided = opened  # known whether the reply thinks
        self.sent_reasoning = 0
        self.sent_content = 0

    def feed(self, piece: str, *, final: bool = False) -> tuple[str, str]:
        """The new reasoning and content text after ``piece`` (everything left when ``final``)."""
        self.text += piece
        body = self.text.lstrip()
        if not self.decided:
            if body.startswith(OPEN):
                self.decided = self.opened = True
            elif final or (body and not OPEN.startswith(body)):
                self.decided = True
            else:
                return "", ""
        if not self.opened:
            reasoning, content = "", self.text
        else:
            if body.startswith(OPEN):
                body = body[len(OPEN) :]
            end = body.find(CLOSE)
            if end >= 0:
                reasoning, content = body[:end].strip(), body[end + len(CLOSE) :].lstrip()
            elif final:
                reasoning, content = body.strip(), ""
            else:
                reasoning, content = body[: max(0, len(body) - len(CLOSE) + 1)].strip(), ""
        new = reasoning[self.sent_reasoning :], content[self.sent_content :]
        self.sent_reasoning, self.sent_content = len(reasoning), len(content)
        return new
