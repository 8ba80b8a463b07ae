"""Chat: templates (sandboxed Jinja2), named formats, tool calls and chat completions.

Example::

    >>> from llama_native.chat import list_chat_formats
    >>> "chatml" in list_chat_formats()
    True
"""

from .formats import ChatFormatter, get_chat_formatter, list_chat_formats, register_chat_format
from .templates import (
    ChatFormatterResponse,
    ChatTemplateError,
    Jinja2ChatFormatter,
    TemplateRaised,
    make_environment,
    normalize_messages,
)
from .tools import ToolCallFormat

__all__ = [
    "ChatFormatter",
    "ChatFormatterResponse",
    "ChatTemplateError",
    "Jinja2ChatFormatter",
    "TemplateRaised",
    "ToolCallFormat",
    "get_chat_formatter",
    "list_chat_formats",
    "make_environment",
    "normalize_messages",
    "register_chat_format",
]
