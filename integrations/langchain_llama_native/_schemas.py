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

from llama_native.request import normalize_tool_choice


def openai_tool_choice(tool_choice: Any, names: list[str]) -> Any:
    """LangChain's tool_choice values (``"any"``, ``True``, a tool name, ...) as the chat API's.

    The one reading of a tool choice is :func:`llama_native.request.normalize_tool_choice`.
    """
    return normalize_tool_choice(tool_choice, names, loose=True)


def output_json_schema(schema: Any) -> dict[str, Any]:
    """A JSON schema for a pydantic class (v2 as pydantic writes it), TypedDict, OpenAI tool or JSON schema dict."""
    if isinstance(schema, type) and is_basemodel_subclass(schema) and hasattr(schema, "model_json_schema"):
        return schema.model_json_schema()
    if isinstance(schema, dict) and "function" not in schema and "name" not in schema:
        return schema  # already a JSON schema (convert_to_json_schema insists on a title)
    return convert_to_json_schema(schema)
