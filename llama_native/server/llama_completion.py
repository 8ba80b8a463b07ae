"""A ``/completion`` generation collected from its chunks, and llama-server's response objects of it.

The route runs every request streamed inside (the token ids and times of each
piece are seen as they come) and answers with :func:`final_response`, or
streams :func:`partial_response` objects and then the final one.

Example::

    >>> from llama_native.server.llama_completion import stop_type
    >>> stop_type("length", [1, 2], " Paris", ["Paris"], lambda t: False, lambda ids: " Paris.")
    ('limit', '')
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..llama import Llama
from .llama_bodies import GenerationBody
from .llama_shapes import generation_settings, timings


@dataclass
class Piece:
    """What one streamed chunk added: text, token ids and (with ``n_probs``) their probabilities."""

    text: str
    ids: list[int]
    probs: list[dict[str, Any]]


@dataclass
class Collected:
    """A generation so far: its text, token ids, probabilities, finish reason, usage and times."""

    started: float
    n_prompt: int = 0
    first_token: float | None = None
    ended: float | None = None
    texts: list[str] = field(default_factory=list)
    ids: list[int] = field(default_factory=list)
    probs: list[dict[str, Any]] = field(default_factory=list)
    finish: str | None = None
    usage: dict[str, Any] | None = None
    given_timings: dict[str, Any] | None = None

    def add(self, chunk: dict[str, Any]) -> Piece | None:
        """Take a ``text_completion`` chunk; the piece to stream, or None when it carries no text or tokens."""
        choice = chunk["choices"][0]
        ids = list(choice.get("token_ids") or [])
        if ids and self.first_token is None:
            self.first_token = time.monotonic()
        text, probs = choice["text"], list(choice.get("logprobs") or [])
        self.texts.append(text)
        self.ids.extend(ids)
        self.probs.extend(probs)
        if chunk.get("usage"):
            self.usage = chunk["usage"]
            self.n_prompt = self.usage["prompt_tokens"]
        if chunk.get("timings"):
            self.given_timings = chunk["timings"]
        if choice["finish_reason"]:
            self.finish = choice["finish_reason"]
            self.ended = time.monotonic()
        return Piece(text, ids, probs) if text or (ids and not self.finish) else None

    @property
    def text(self) -> str:
        """The whole generated text."""
        return "".join(self.texts)


async def collect(chunks: AsyncIterator[dict[str, Any]], started: float) -> Collected:
    """All chunks of a streamed request (the async iterator is closed after, also when cancelled)."""
    got = Collected(started)
    try:
        async for chunk in chunks:
            got.add(chunk)
    finally:
        close = getattr(chunks, "aclose", None)
        if close is not None:
            await close()
    return got


def stop_type(
    finish: str | None,
    ids: Sequence[int],
    content: str,
    stop: Sequence[str],
    is_eog: Callable[[int], bool],
    detokenize: Callable[[list[int]], str],
) -> tuple[str, str]:
    """llama-server's ``stop_type`` (``none``/``eos``/``limit``/``word``) and ``stopping_word`` of a generation.

    A stop string is cut from ``content`` but its tokens were generated: the
    word found where the generated tokens' text goes past ``content``.
    """
    if finish == "length":
        return "limit", ""
    if finish != "stop":
        return "none", ""
    if ids and is_eog(ids[-1]):
        return "eos", ""
    if stop:
        full = detokenize(list(ids))
        start = max(0, len(content) - max(len(s) for s in stop))
        found = [(full.find(s, start), s) for s in stop if full.find(s, start) >= 0]
        if found:
            return "word", min(found)[1]
    return "eos", ""  # the grammar's end


def partial_response(piece: Piece, got: Collected, body: GenerationBody, n_prompt: int) -> dict[str, Any]:
    """A streamed piece as llama-server sends it (``stop`` false)."""
    out: dict[str, Any] = {
        "index": 0, "content": piece.text, "tokens": piece.ids, "stop": False, "id_slot": -1,
        "tokens_predicted": len(got.ids), "tokens_evaluated": n_prompt,
    }  # fmt: skip
    if body.n_probs:
        out["completion_probabilities"] = piece.probs
    return out


def final_response(
    got: Collected, body: GenerationBody, alias: str, llm: Llama, prompt: Any, streamed: bool = False
) -> dict[str, Any]:
    """The whole response of a generation (streamed: the last event, its text and tokens already sent)."""
    content = got.text
    detok = lambda ids: llm.detokenize(ids).decode("utf-8", "replace")  # noqa: E731
    kind, word = stop_type(got.finish, got.ids, content, body.stop, llm.token_is_eog, detok)
    usage = got.usage or {"prompt_tokens": got.n_prompt, "completion_tokens": len(got.ids)}
    n_prompt, n_predicted = usage["prompt_tokens"], usage["completion_tokens"]
    if kind == "eos" and not (got.ids and llm.token_is_eog(got.ids[-1])):
        n_predicted += 1  # llama-server counts the end-of-generation token it sampled; our usage does not
    cached = (usage.get("prompt_tokens_details") or {}).get("cached_tokens", 0)
    ended = got.ended if got.ended is not None else time.monotonic()
    out: dict[str, Any] = {
        "index": 0,
        "content": "" if streamed else content,
        "tokens": [] if streamed or not body.return_tokens else got.ids,
        "id_slot": max(body.id_slot, 0),
        "stop": True,
        "model": alias,
        "tokens_predicted": n_predicted,
        "tokens_evaluated": n_prompt,
        "generation_settings": generation_settings(body),
        "prompt": prompt if isinstance(prompt, str) else detok(list(prompt)),
        "has_new_line": "\n" in content,
        "truncated": False,
        "stop_type": kind,
        "stopping_word": word,
        "tokens_cached": max(0, n_prompt + n_predicted - 1),
        "timings": timings(got.given_timings, prompt_n=n_prompt, cache_n=cached, predicted_n=n_predicted,
                           started=got.started, first_token=got.first_token, ended=ended),  # fmt: skip
    }
    if body.n_probs and not streamed:
        out["completion_probabilities"] = got.probs
    return out
