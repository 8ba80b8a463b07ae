"""A chat reply: the model's text back to ``chat.completion`` dicts or ``chat.completion.chunk`` streams.

Reasoning is split off as ``reasoning_content``; tool calls are parsed (by the
template's own parser when llama.cpp's chat layer planned the request, else by
the ``ToolCallFormat``) and validated against each tool's parameters; a reply
cut by ``max_tokens`` keeps only the calls completed before the cut.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

from .prepared import PreparedChat
from .reasoning import ReasoningStream, split_reasoning
from .tools import call_validator


def _message_from_text(text: str, prepared: PreparedChat, finish_reason: str | None) -> dict[str, Any]:
    """The assistant message of a finished generation (with ``tool_calls`` when it made any).

    A completed generation's calls are all parsed.  From one cut by
    ``max_tokens`` (``finish_reason="length"``) the calls completed before
    the cut are returned, each with arguments that validate, and only the
    unfinished tail is dropped; with no complete call it stays text.
    """
    if prepared.plan is not None:
        return _planned_message(text, prepared, finish_reason)
    reasoning = None
    if prepared.thinks:
        reasoning, text = split_reasoning(text, opened=prepared.thinking_opened)
    message = _answer_message(text, prepared, finish_reason)
    if reasoning is not None:
        message["reasoning_content"] = reasoning
    return message


def _planned_message(text: str, prepared: PreparedChat, finish_reason: str | None) -> dict[str, Any]:
    """The reply read by the template's own parser: content, ``reasoning_content`` and ``tool_calls``.

    A finished reply the parser cannot read stays text (its whole text is the
    content); one cut by ``max_tokens`` keeps the calls completed before the
    cut.  Calls to a tool not offered make the reply text.
    """
    assert prepared.plan is not None
    try:
        parsed = prepared.plan.parse(text, partial=finish_reason == "length")
    except ValueError:
        return {"role": "assistant", "content": text}
    if finish_reason == "length":
        # a partial parse closes the call the cut ended: keep the calls written out in full
        parsed["tool_calls"] = [c for c in parsed.get("tool_calls") or [] if _written_in_full(c, text)]
        if not parsed["tool_calls"] and not parsed.get("reasoning_content"):
            return {"role": "assistant", "content": text}  # no complete call and no thinking: all of it is text
    if not parsed.get("tool_calls") and prepared.plan.starts_call(text):
        return {"role": "assistant", "content": text}  # a call the parser could not read: text, not dropped
    message: dict[str, Any] = {"role": "assistant", "content": parsed.get("content") or ""}
    if parsed.get("reasoning_content"):
        message["reasoning_content"] = parsed["reasoning_content"]
    calls = parsed.get("tool_calls") or []
    valid = call_validator(prepared.functions)
    if calls and all(valid(_call_of(c)) for c in calls):
        message["content"] = message["content"].strip() or None
        message["tool_calls"] = [
            {
                "id": c.get("id") or f"call_{uuid.uuid4().hex[:24]}",
                "type": "function",
                "function": {"name": c["function"]["name"], "arguments": _compact(c["function"]["arguments"])},
            }
            for c in calls
        ]
    elif calls:
        # a call to a tool not offered, or with arguments its schema refuses (a syntax whose grammar writes
        # arguments raw): the reply is text, never an invalid call
        message = {"role": "assistant", "content": text}
    return message


def _call_of(call: dict[str, Any]) -> dict[str, Any]:
    """A parsed OpenAI call as ``{"name", "arguments"}`` with the arguments decoded (None when not JSON)."""
    try:
        arguments = json.loads(call["function"]["arguments"] or "{}")
    except ValueError:
        arguments = None
    return {"name": call["function"]["name"], "arguments": arguments}


def _compact(arguments: str) -> str:
    """Arguments as compact JSON text, as OpenAI returns them (what the model wrote when it is not JSON)."""
    try:
        return json.dumps(json.loads(arguments or "{}"), ensure_ascii=False)
    except ValueError:
        return arguments


def _written_in_full(call: dict[str, Any], text: str) -> bool:
    """Whether a call's arguments (as a partial parse closed them) stand in ``text`` as written, whitespace aside."""
    written = call["function"]["arguments"] or "{}"
    try:
        arguments = json.loads(written)
    except ValueError:
        return False
    if written in text:  # JSON syntaxes: the arguments as the model wrote them (a closed-up cut call is not there)
        return True
    flat = "".join(text.split())  # syntaxes whose arguments the parser rebuilt as JSON
    return any(
        "".join(json.dumps(arguments, ensure_ascii=ascii_only, separators=(",", ":")).split()) in flat
        for ascii_only in (False, True)
    )


def _answer_message(text: str, prepared: PreparedChat, finish_reason: str | None) -> dict[str, Any]:
    """The message of the answer part of a reply: content, or content and tool calls."""
    fmt = prepared.tool_format
    if prepared.tool_mode != "none" and fmt is not None and finish_reason in ("stop", "length"):
        cut = finish_reason == "length"
        try:
            content, calls = fmt.parse(text, complete_only=cut)
        except ValueError:
            calls = []
        if cut:
            calls = fmt.valid_calls(calls, prepared.functions)
        known = {f["name"] for f in prepared.functions}
        if any(c.get("name") not in known for c in calls):
            calls = []  # not a call to one of the tools (a JSON answer in llama3's bare-JSON syntax): text
        if calls:
            return {"role": "assistant", "content": content.strip() or None, "tool_calls": fmt.openai_tool_calls(calls)}
    return {"role": "assistant", "content": text}


def _finish_reason(message: dict[str, Any], finish_reason: str | None) -> str | None:
    """``"tool_calls"`` for a reply with calls, but a cut one keeps ``"length"``."""
    return "tool_calls" if "tool_calls" in message and finish_reason != "length" else finish_reason


def chat_completion(completion: dict[str, Any], prepared: PreparedChat) -> dict[str, Any]:
    """A ``text_completion`` dict as a ``chat.completion`` dict."""
    choice = completion["choices"][0]
    message = _message_from_text(choice["text"], prepared, choice["finish_reason"])
    finish = _finish_reason(message, choice["finish_reason"])
    out_choice: dict[str, Any] = {
        "index": 0,
        "message": message,
        "logprobs": _chat_logprobs(choice.get("logprobs")),
        "finish_reason": finish,
    }
    if incomplete_tool_call(choice["text"], prepared, choice["finish_reason"], message):
        out_choice["incomplete_tool_call"] = True
    return {
        "id": "chat" + completion["id"],
        "object": "chat.completion",
        "created": completion["created"],
        "model": completion["model"],
        "choices": [out_choice],
        "usage": completion["usage"],
        **({"timings": completion["timings"]} if "timings" in completion else {}),
    }


def _chat_logprobs(content: list[dict[str, Any]] | None) -> dict[str, Any] | None:
    """OpenAI's chat ``logprobs`` object around the entries (None when logprobs were not asked for)."""
    return None if content is None else {"content": content, "refusal": None}


def chat_completion_chunks(chunks: Iterator[dict[str, Any]], prepared: PreparedChat) -> Iterator[dict[str, Any]]:
    """``text_completion`` chunks as ``chat.completion.chunk`` dicts (the last one with ``usage``).

    Plain content streams as it comes.  With tools, text that opens a tool
    call is never streamed as content; each parsed call is sent as a
    ``tool_calls`` delta once generation ends.
    """
    make = _ChunkMaker()
    if prepared.plan is not None:
        yield from _planned_chunks(chunks, prepared, make)
        return
    tools_on = prepared.tool_mode != "none" and prepared.tool_format is not None
    fmt = prepared.tool_format if tools_on else None
    thinking = ReasoningStream(opened=prepared.thinking_opened) if prepared.thinks else None
    raw = ""  # all generated text
    text = ""  # the answer part of it (all of it unless the template thinks)
    streamed = 0  # characters of text already sent as content
    in_call = prepared.tool_mode == "required"
    started = False
    try:
        for chunk in chunks:
            if not started:
                started = True
                make.model = chunk["model"]
                yield make({"role": "assistant"})  # role only, as llama-cpp-python's first chunk
            make.take(chunk)
            piece = chunk["choices"][0]["text"]
            finish = chunk["choices"][0]["finish_reason"]
            raw += piece
            if thinking is not None:
                thought, piece = thinking.feed(piece, final=bool(finish))
                if thought:
                    yield make({"reasoning_content": thought})
            text += piece
            if not in_call:
                if fmt is not None:
                    at = fmt.find_opening(text, streamed)
                    if at >= 0:
                        in_call = True
                        safe = at
                    else:
                        safe = len(text) - (0 if finish else fmt.held_back(text))
                else:
                    safe = len(text)
                if safe > streamed:
                    yield make({"content": text[streamed:safe]})
                    streamed = safe
            if finish:
                message = _message_from_text(raw, prepared, finish)
                if "tool_calls" not in message and streamed < len(text):
                    yield make({"content": text[streamed:]})  # a call that never completed: content after all
                yield from _ending(make, message, finish, chunk, incomplete_tool_call(raw, prepared, finish, message))
                return
    finally:
        _close(chunks)


def _planned_chunks(
    chunks: Iterator[dict[str, Any]], prepared: PreparedChat, make: _ChunkMaker
) -> Iterator[dict[str, Any]]:
    """Stream a reply read by the template's own parser, as llama-server does.

    The text so far is parsed as a partial reply after every piece; what its
    ``reasoning_content`` and ``content`` gained is sent as deltas (content
    that is only whitespace waits: it may end up before a call), and the
    calls once generation ends (from the same parse as the non-streamed
    reply, so the two agree).
    """
    assert prepared.plan is not None
    raw = ""
    sent = {"reasoning_content": "", "content": ""}
    started = False
    try:
        for chunk in chunks:
            if not started:
                started = True
                make.model = chunk["model"]
                yield make({"role": "assistant"})  # role only, as llama-cpp-python's first chunk
            make.take(chunk)
            raw += chunk["choices"][0]["text"]
            finish = chunk["choices"][0]["finish_reason"]
            if finish:
                message = _planned_message(raw, prepared, finish)
            else:
                try:
                    message = prepared.plan.parse(raw, partial=True)
                except ValueError:
                    continue
            for key in sent:
                part = message.get(key) or ""
                delta = part[len(sent[key]) :] if part.startswith(sent[key]) else ""
                if delta and (finish or key == "reasoning_content" or delta.strip()):
                    yield make({key: delta})
                    sent[key] = part
            if finish:
                yield from _ending(make, message, finish, chunk, incomplete_tool_call(raw, prepared, finish, message))
                return
    finally:
        _close(chunks)


class _ChunkMaker:
    """Makes the ``chat.completion.chunk`` dicts of one stream (``model`` follows the completion's chunks).

    Log-probabilities of the tokens read so far go out with the next chunk
    made, so the stream carries each token's entry once, in order.
    """

    def __init__(self) -> None:
        self.id = f"chatcmpl-{uuid.uuid4()}"
        self.created = int(time.time())
        self.model = ""
        self._logprobs: list[dict[str, Any]] | None = None

    def take(self, chunk: dict[str, Any]) -> None:
        """Note a completion chunk's model and log-probabilities."""
        self.model = chunk["model"]
        entries = chunk["choices"][0].get("logprobs")
        if entries is not None:
            self._logprobs = (self._logprobs or []) + entries

    def __call__(self, delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        logprobs, self._logprobs = self._logprobs, None
        return {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": [
                {"index": 0, "delta": delta, "logprobs": _chat_logprobs(logprobs), "finish_reason": finish_reason}
            ],
        }


def _ending(
    make: _ChunkMaker, message: dict[str, Any], finish: str, chunk: dict[str, Any], incomplete_call: bool = False
) -> Iterator[dict[str, Any]]:
    """A stream's last chunks: each call as a ``tool_calls`` delta, then the finish (with ``usage``)."""
    for index, call in enumerate(message.get("tool_calls") or []):
        yield make({"tool_calls": [dict(call, index=index)]})
    final = make({}, _finish_reason(message, finish))
    if incomplete_call:
        final["choices"][0]["incomplete_tool_call"] = True
    if "usage" in chunk:
        final["usage"] = chunk["usage"]
    if "timings" in chunk:
        final["timings"] = chunk["timings"]
    yield final


def incomplete_tool_call(text: str, prepared: PreparedChat, finish_reason: str | None, message: dict[str, Any]) -> bool:
    """Whether a reply cut by ``max_tokens`` had opened a tool call that it did not finish (and finished none).

    Such a reply comes back as text with ``finish_reason="length"``, as OpenAI
    shapes it, and its choice carries ``"incomplete_tool_call": true`` (a
    llama-native extension, absent otherwise) so that the integrations can
    refuse it instead of taking the cut call's text for the answer.
    """
    if finish_reason != "length" or "tool_calls" in message or prepared.tool_mode == "none":
        return False
    if prepared.plan is not None:
        return prepared.plan.starts_call(text)
    fmt = prepared.tool_format
    return fmt is not None and (prepared.tool_mode == "required" or fmt.find_opening(text) >= 0)


def _close(chunks: Iterator[dict[str, Any]]) -> None:
    """Close the completion's chunks (and so its generation) when the chat stream ends or is dropped."""
    close = getattr(chunks, "close", None)
    if close is not None:
        close()
