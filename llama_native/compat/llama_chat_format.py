"""llama-cpp-python's ``llama_cpp.llama_chat_format`` names, over :mod:`llama_native.chat`.

``ChatFormatter``, ``ChatFormatterResponse``, ``Jinja2ChatFormatter`` and
``register_chat_format`` work as there; a ``LlamaChatCompletionHandler`` is
any callable ``handler(llama=..., messages=..., **request)`` and may be given
as ``Llama(..., chat_handler=handler)``.  The multimodal handlers
(``Llava15ChatHandler(clip_model_path=...)`` and the others) load their
projector as ``Llama(mmproj_path=...)`` does (see
:mod:`llama_native.chat.vision_handlers`).  llama-cpp-python's functionary
handlers are not provided (the GGUF's own template and llama.cpp's chat
layer cover tool calls).

Example::

    >>> from llama_native.llama_chat_format import Jinja2ChatFormatter
    >>> fmt = Jinja2ChatFormatter("{% for m in messages %}{{ m.content }};{% endfor %}", eos_token="", bos_token="")
    >>> fmt(messages=[{"role": "user", "content": "hi"}]).prompt
    'hi;'
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol

from ..chat import ChatFormatter, ChatFormatterResponse, Jinja2ChatFormatter, get_chat_formatter, register_chat_format
from ..chat.vision_handlers import (  # llama-cpp-python's multimodal handler names (vision_handlers.__all__)
    Llama3VisionAlpha,
    Llama3VisionAlphaChatHandler,
    Llava15ChatHandler,
    Llava16ChatHandler,
    MiniCPMv26ChatHandler,
    MoondreamChatHandler,
    MultimodalChatHandler,
    NanoLlavaChatHandler,
    ObsidianChatHandler,
    Qwen25VLChatHandler,
)


class LlamaChatCompletionHandler(Protocol):
    """A callable that answers a chat request itself (``Llama(..., chat_handler=...)``)."""

    def __call__(self, *, llama: Any, messages: list[dict[str, Any]], **kwargs: Any) -> dict[str, Any] | Iterator[Any]:
        """A ``chat.completion`` dict, or its chunks with ``stream=True``."""
        ...


# a literal list, so that type checkers know the names too (llama_native/llama_chat_format.pyi star-imports them)
__all__ = [
    "Llama3VisionAlpha",
    "Llama3VisionAlphaChatHandler",
    "Llava15ChatHandler",
    "Llava16ChatHandler",
    "MiniCPMv26ChatHandler",
    "MoondreamChatHandler",
    "MultimodalChatHandler",
    "NanoLlavaChatHandler",
    "ObsidianChatHandler",
    "Qwen25VLChatHandler",
    "ChatFormatter",
    "ChatFormatterResponse",
    "Jinja2ChatFormatter",
    "LlamaChatCompletionHandler",
    "get_chat_formatter",
    "register_chat_format",
]
