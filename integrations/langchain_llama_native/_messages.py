"""LangChain messages <-> the OpenAI-shaped dicts of :meth:`llama_native.Llama.create_chat_completion`.

Tool calls are parsed with langchain-core's own ``parse_tool_call`` (the
same rules as its OpenAI integration).  Usage becomes ``usage_metadata``
with the prompt-cache hits as ``input_token_details.cache_read``.

Example::

    >>> from langchain_core.messages import HumanMessage
    >>> to_openai_messages([HumanMessage("hi")])
    [{'role': 'user', 'content': 'hi'}]
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, cast

from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    ChatMessage,
    FunctionMessage,
    HumanMessage,
    SystemMessage,
    ToolCallChunk,
    ToolMessage,
    convert_to_openai_data_block,
)
from langchain_core.messages.ai import UsageMetadata
from langchain_core.output_parsers.openai_tools import make_invalid_tool_call, parse_tool_call

from llama_native.timings import ollama_durations

# content blocks that carry no text for the prompt (the tool calls travel in tool_calls)
_SKIPPED_BLOCKS = {"tool_use", "tool_call", "tool_call_chunk", "reasoning", "thinking"}


def _text(content: Any) -> str:
    """The text of a message's content (a string, or a list of text blocks)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    parts: list[str] = []
    for block in content:
        if isinstance(block, str):
            parts.append(block)
        elif isinstance(block, dict):
            kind = block.get("type")
            if kind in ("text", "text-plain") or (kind is None and "text" in block):
                parts.append(str(block.get("text", "")))
            elif kind in ("image", "image_url"):
                raise ValueError("images go in user messages only")
            elif kind not in _SKIPPED_BLOCKS:
                raise ValueError(f"content blocks of type {kind!r} are not supported; llama-native models take text")
    return "".join(parts)


def _is_image(block: Any) -> bool:
    return isinstance(block, dict) and block.get("type") in ("image", "image_url")


def _user_content(content: Any) -> str | list[dict[str, Any]]:
    """A user message's content: its text, or OpenAI content parts in order when it holds images.

    Images come as langchain-core's standard blocks (``{"type": "image", "url" | "base64" ...}``,
    converted by langchain-core's own ``convert_to_openai_data_block``) or in OpenAI's
    ``image_url`` form.
    """
    if not isinstance(content, list) or not any(_is_image(b) for b in content):
        return _text(content)
    parts: list[dict[str, Any]] = []
    for block in content:
        kind = block.get("type") if isinstance(block, dict) else None
        if kind == "image_url":
            parts.append({"type": "image_url", "image_url": block["image_url"]})
        elif kind == "image":
            parts.append(convert_to_openai_data_block(block))
        elif text := _text([block]):
            parts.append({"type": "text", "text": text})
    return parts


def _openai_tool_call(call: Mapping[str, Any], arguments: str) -> dict[str, Any]:
    return {"id": call.get("id"), "type": "function", "function": {"name": call.get("name"), "arguments": arguments}}


def to_openai_message(message: BaseMessage) -> dict[str, Any]:
    """One LangChain message as a chat-completion message dict."""
    if isinstance(message, HumanMessage):
        out: dict[str, Any] = {"role": "user", "content": _user_content(message.content)}
    elif isinstance(message, AIMessage):
        out = {"role": "assistant", "content": _text(message.content)}
        calls = [_openai_tool_call(c, json.dumps(c["args"], ensure_ascii=False)) for c in message.tool_calls]
        calls += [_openai_tool_call(c, c.get("args") or "") for c in message.invalid_tool_calls]
        if not calls and message.additional_kwargs.get("tool_calls"):
            calls = [
                {k: v for k, v in c.items() if k in ("id", "type", "function")}
                for c in message.additional_kwargs["tool_calls"]
            ]
        if calls:
            out["tool_calls"] = calls
            out["content"] = out["content"] or None
        if message.additional_kwargs.get("reasoning_content"):
            # earlier turns' thinking goes back to the template, which renders it (or not) as it expects
            out["reasoning_content"] = message.additional_kwargs["reasoning_content"]
    elif isinstance(message, SystemMessage):
        out = {"role": "system", "content": _text(message.content)}
    elif isinstance(message, ToolMessage):
        out = {"role": "tool", "content": _text(message.content), "tool_call_id": message.tool_call_id}
    elif isinstance(message, FunctionMessage):
        out = {"role": "tool", "content": _text(message.content), "name": message.name}
    elif isinstance(message, ChatMessage):
        out = {"role": message.role, "content": _text(message.content)}
    else:
        raise TypeError(f"cannot send a {type(message).__name__} to a chat model")
    if message.name and "name" not in out:
        out["name"] = message.name
    return out


def to_openai_messages(messages: Sequence[BaseMessage]) -> list[dict[str, Any]]:
    """LangChain messages as chat-completion message dicts."""
    return [to_openai_message(m) for m in messages]


def usage_metadata(usage: Mapping[str, Any] | None) -> UsageMetadata | None:
    """A chat completion's ``usage`` as LangChain's ``usage_metadata``."""
    if not usage:
        return None
    metadata = cast(
        UsageMetadata,
        dict(
            input_tokens=int(usage.get("prompt_tokens", 0)),
            output_tokens=int(usage.get("completion_tokens", 0)),
            total_tokens=int(usage.get("total_tokens", 0)),
        ),
    )
    cached = (usage.get("prompt_tokens_details") or {}).get("cached_tokens")
    if cached is not None:
        metadata["input_token_details"] = {"cache_read": int(cached)}
    return metadata


def to_ai_message(response: Mapping[str, Any], model_name: str) -> AIMessage:
    """The assistant message of a ``chat.completion`` dict, with tool calls, usage and metadata."""
    choice = response["choices"][0]
    message = choice["message"]
    tool_calls, invalid = [], []
    raw_calls = message.get("tool_calls") or []
    for raw in raw_calls:
        try:
            tool_calls.append(parse_tool_call(raw, return_id=True))
        except Exception as exc:  # noqa: BLE001 - kept as an invalid call, as langchain-openai does
            invalid.append(make_invalid_tool_call(raw, str(exc)))
    additional: dict[str, Any] = {"tool_calls": raw_calls} if raw_calls else {}
    if message.get("reasoning_content") is not None:  # as langchain-deepseek and langchain-ollama put it
        additional["reasoning_content"] = message["reasoning_content"]
    return AIMessage(
        content=message.get("content") or "",
        additional_kwargs=additional,
        tool_calls=tool_calls,
        invalid_tool_calls=invalid,
        usage_metadata=usage_metadata(response.get("usage")),
        response_metadata={**_metadata(model_name, choice), **timing_metadata(response)},
        id=response.get("id"),
    )


def _metadata(model_name: str, choice: Mapping[str, Any], logprobs: bool = True) -> dict[str, Any]:
    """``response_metadata``: model, finish reason, and ``logprobs`` when asked for (as langchain-openai)."""
    meta: dict[str, Any] = {"model_name": model_name, "finish_reason": choice.get("finish_reason")}
    if logprobs and choice.get("logprobs") is not None:
        meta["logprobs"] = choice["logprobs"]
    return meta


def timing_metadata(response: Mapping[str, Any]) -> dict[str, Any]:
    """ChatOllama's duration names (nanoseconds) and llama-server's ``timings``, when the reply has them.

    Example::

        >>> from llama_native.timings import make_timings
        >>> timing_metadata({"timings": make_timings(3, 1.0, 2, 4.0)})["eval_duration"]
        4000000
    """
    timings = response.get("timings")
    if not isinstance(timings, Mapping):
        return {}
    return {**ollama_durations(timings), "timings": dict(timings)}


def to_ai_chunk(chunk: Mapping[str, Any], model_name: str) -> AIMessageChunk | None:
    """A ``chat.completion.chunk`` dict as an ``AIMessageChunk`` (None for an empty delta).

    Tool calls arrive whole, one per delta, and become ``tool_call_chunks``;
    the last chunk carries ``finish_reason``, ``model_name`` and ``usage_metadata``.
    """
    choice = chunk["choices"][0]
    delta = choice.get("delta") or {}
    finish_reason = choice.get("finish_reason")
    content = delta.get("content") or ""
    tool_call_chunks = [
        {
            "name": c["function"].get("name"),
            "args": c["function"].get("arguments"),
            "id": c.get("id"),
            "index": c.get("index", i),
            "type": "tool_call_chunk",
        }
        for i, c in enumerate(delta.get("tool_calls") or [])
    ]
    reasoning = delta.get("reasoning_content")
    logprobs = choice.get("logprobs")
    if not content and not tool_call_chunks and finish_reason is None and not reasoning and not logprobs:
        return None
    extra: dict[str, Any] = {}
    if reasoning:
        extra["additional_kwargs"] = {"reasoning_content": reasoning}
    if logprobs:
        extra["response_metadata"] = {"logprobs": logprobs}  # chunks merge by concatenating the lists
    if finish_reason is not None:
        extra["response_metadata"] = {
            **extra.get("response_metadata", {}),
            **_metadata(model_name, choice, False),
            **timing_metadata(chunk),
        }
        extra["usage_metadata"] = usage_metadata(chunk.get("usage"))
        extra["chunk_position"] = "last"
    if "chunk_position" not in AIMessageChunk.model_fields:  # langchain-core < 1.0
        extra.pop("chunk_position", None)
    return AIMessageChunk(content=content, tool_call_chunks=cast(list[ToolCallChunk], tool_call_chunks), **extra)
