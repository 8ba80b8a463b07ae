"""LlamaIndex chat messages <-> the OpenAI-shaped dicts of :meth:`llama_native.Llama.create_chat_completion`.

Example::

    >>> from llama_index.core.llms import ChatMessage
    >>> to_openai_messages([ChatMessage(role="user", content="hi")])
    [{'role': 'user', 'content': 'hi'}]
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from llama_index.core.base.llms.types import (
    ChatMessage,
    ImageBlock,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)

_ROLES = {"developer": "system", "chatbot": "assistant", "model": "assistant", "function": "tool"}


def _openai_call(call_id: str | None, name: str, arguments: Any) -> dict[str, Any]:
    text = arguments if isinstance(arguments, str) else json.dumps(arguments, ensure_ascii=False)
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": text}}


def _legacy_calls(message: ChatMessage) -> list[dict[str, Any]]:
    """Tool calls kept in ``additional_kwargs["tool_calls"]`` (OpenAI objects or dicts), as older integrations do."""
    calls = []
    for call in message.additional_kwargs.get("tool_calls") or []:
        if not isinstance(call, dict):
            call = call.model_dump() if hasattr(call, "model_dump") else dict(call)
        function = call.get("function") or {}
        calls.append(_openai_call(call.get("id"), function.get("name") or "", function.get("arguments", "{}")))
    return calls


def _image_url(block: ImageBlock) -> str:
    """An ``ImageBlock`` as an image URL: its URL or path as is (read with llama-native's limits), or a data URL."""
    if block.url is not None:
        return str(block.url)
    if block.path is not None:
        return str(block.path)
    data = block.resolve_image(as_base64=True).read().decode("ascii")
    return f"data:{block.image_mimetype or ''};base64,{data}"


def to_openai_message(message: ChatMessage) -> dict[str, Any]:
    """One LlamaIndex message as a chat-completion message dict (``ImageBlock``s as ``image_url`` parts)."""
    role = message.role.value if isinstance(message.role, MessageRole) else str(message.role)
    role = _ROLES.get(role, role)
    parts: list[dict[str, Any]] = []  # text and images in order
    thoughts: list[str] = []
    calls: list[dict[str, Any]] = []
    for block in message.blocks:
        if isinstance(block, TextBlock):
            parts.append({"type": "text", "text": block.text})
        elif isinstance(block, ImageBlock):
            if role != "user":
                raise ValueError("images go in user messages only")
            parts.append({"type": "image_url", "image_url": {"url": _image_url(block)}})
        elif isinstance(block, ToolCallBlock):
            calls.append(_openai_call(block.tool_call_id, block.tool_name, block.tool_kwargs))
        elif isinstance(block, ThinkingBlock):
            thoughts.append(block.content or "")
        else:
            raise ValueError(f"{type(block).__name__} content is not supported; llama-native models take text")
    calls = calls or _legacy_calls(message)
    has_images = any(p["type"] == "image_url" for p in parts)
    text = "".join(p["text"] for p in parts if p["type"] == "text")
    out: dict[str, Any] = {"role": role, "content": parts if has_images else text}
    if calls and role == "assistant":
        out["tool_calls"] = calls
        out["content"] = out["content"] or None
    if thoughts and role == "assistant":  # earlier turns' thinking goes back to the template
        out["reasoning_content"] = "".join(thoughts)
    if role == "tool":
        call_id = message.additional_kwargs.get("tool_call_id")
        if call_id:
            out["tool_call_id"] = call_id
    name = message.additional_kwargs.get("name")
    if name:
        out["name"] = name
    return out


def to_openai_messages(messages: Sequence[ChatMessage]) -> list[dict[str, Any]]:
    """LlamaIndex messages as chat-completion message dicts."""
    return [to_openai_message(m) for m in messages]


def assistant_message(
    content: str, tool_calls: Sequence[Mapping[str, Any]], thinking: str | None = None
) -> ChatMessage:
    """The assistant's reply: thinking, text and tool calls as blocks.

    The calls are also OpenAI dicts in ``additional_kwargs["tool_calls"]``.
    """
    blocks: list[Any] = [ThinkingBlock(content=thinking)] if thinking else []
    blocks += [TextBlock(text=content)] if content else []
    for call in tool_calls:
        function = call["function"]
        try:
            arguments: Any = json.loads(function["arguments"])
        except ValueError:
            arguments = function["arguments"]
        blocks.append(ToolCallBlock(tool_call_id=call.get("id"), tool_name=function["name"], tool_kwargs=arguments))
    extra = {"tool_calls": [dict(c) for c in tool_calls]} if tool_calls else {}
    return ChatMessage(role=MessageRole.ASSISTANT, blocks=blocks, additional_kwargs=extra)
