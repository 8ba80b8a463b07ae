"""Tool choices and output schemas as :meth:`llama_native.Llama.create_chat_completion` takes them.

Example::

    >>> openai_tool_choice("add", ["add"])
    {'type': 'function', 'function': {'name': 'add'}}
    >>> openai_tool_choice("any", ["add"])
    'required'
"""

from __future__ import annotations

from typing import Any

from langchain_core.utils.function_calling import convert_to_json_schema
from langchain_core.utils.pydantic import is_basemodel_subclass


def openai_tool_choice(tool_choice: Any, names: list[str]) -> Any:
    """LangChain's tool_choice values as the chat API's."""
    if tool_choice is None or tool_choice is False:
        return None
    if tool_choice is True or tool_choice in ("any", "required"):
        return "required"
    if tool_choice in ("auto", "none"):
        return tool_choice
    if isinstance(tool_choice, str):
        if tool_choice not in names:
            raise ValueError(f"tool_choice {tool_choice!r} is not among the bound tools {names}")
        return {"type": "function", "function": {"name": tool_choice}}
    if isinstance(tool_choice, dict):
        name = (tool_choice.get("function") or {}).get("name") or tool_choice.get("name")
        if name not in names:
            raise ValueError(f"tool_choice names {name!r}, which is not among the bound tools {names}")
        return {"type": "function", "function": {"name": name}}
    raise ValueError(
        f"tool_choice must be 'auto', 'any', 'required', 'none', True, a tool name or a dict, got {tool_choice!r}"
    )


def output_json_schema(schema: Any) -> dict[str, Any]:
    """A JSON schema for a pydantic class (v2 as pydantic writes it), TypedDict, OpenAI tool or JSON schema dict."""
    if isinstance(schema, type) and is_basemodel_subclass(schema) and hasattr(schema, "model_json_schema"):
        return schema.model_json_schema()
    if isinstance(schema, dict) and "function" not in schema and "name" not in schema:
        return schema  # already a JSON schema (convert_to_json_schema insists on a title)
    return convert_to_json_schema(schema)
