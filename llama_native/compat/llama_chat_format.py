"""llama-cpp-python's ``llama_cpp.llama_chat_format`` names, over :mod:`llama_native.chat`.

* The named formats (``format_chatml``, ``format_llama2``, ... every
  ``format_*``) render as there (:mod:`llama_native.chat.lcp_formats`), and
  ``register_chat_format`` adds one.
* Chat completion handlers: ``register_chat_completion_handler``,
  ``get_chat_completion_handler`` (a format's name gives its handler),
  ``chat_formatter_to_chat_completion_handler``, the Hugging Face helpers
  (``hf_tokenizer_config_to_chat_formatter``, ...) and
  ``chatml_function_calling`` (:mod:`llama_native.compat._chat_handlers`,
  :mod:`llama_native.compat._function_calling`).  A handler's name works as
  ``Llama(chat_format=...)``.
* The multimodal handlers (``Llava15ChatHandler(clip_model_path=...)``,
  ``MTMDChatHandler``, ...) load their projector as ``Llama(mmproj_path=...)``
  does (:mod:`llama_native.chat.vision_handlers`).
* ``functionary_chat_handler`` (``"functionary"``) and
  ``functionary_v1_v2_chat_handler`` (``"functionary-v1"``, ``"functionary-v2"``)
  are llama-cpp-python's, ported (:mod:`llama_native.compat._functionary`); the
  v1/v2 one needs functionary's Hugging Face tokenizer (``Llama(tokenizer=...)``), as there.

Example::

    >>> from llama_native.llama_chat_format import format_chatml, get_chat_completion_handler
    >>> format_chatml(messages=[{"role": "user", "content": "hi"}]).prompt  # an empty system turn, as there
    '<|im_start|>system\\n<|im_end|>\\n<|im_start|>user\\nhi<|im_end|>\\n<|im_start|>assistant\\n'
    >>> callable(get_chat_completion_handler("openchat"))
    True
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar, Protocol

from ..chat import ChatFormatter, ChatFormatterResponse, Jinja2ChatFormatter, get_chat_formatter, register_chat_format
from ..chat.lcp_format_styles import (
    CHATML_BOS_TOKEN,
    CHATML_CHAT_TEMPLATE,
    CHATML_EOS_TOKEN,
    LLAMA3_INSTRUCT_CHAT_TEMPLATE,
    MISTRAL_INSTRUCT_BOS_TOKEN,
    MISTRAL_INSTRUCT_CHAT_TEMPLATE,
    MISTRAL_INSTRUCT_EOS_TOKEN,
    MIXTRAL_INSTRUCT_CHAT_TEMPLATE,
)
from ..chat.lcp_formats import (
    format,
    format_alpaca,
    format_baichuan,
    format_baichuan2,
    format_chatglm3,
    format_chatml,
    format_gemma,
    format_intel,
    format_llama2,
    format_llama3,
    format_mistral_instruct,
    format_mistrallite,
    format_oasst_llama,
    format_open_orca,
    format_openbuddy,
    format_openchat,
    format_phind,
    format_pygmalion,
    format_qwen,
    format_redpajama_incite,
    format_saiga,
    format_snoozy,
    format_zephyr,
)
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
from ._chat_handlers import (
    LlamaChatCompletionHandlerNotFoundException,
    LlamaChatCompletionHandlerRegistry,
    chat_formatter_to_chat_completion_handler,
    get_chat_completion_handler,
    guess_chat_format_from_gguf_metadata,
    hf_autotokenizer_to_chat_completion_handler,
    hf_autotokenizer_to_chat_formatter,
    hf_tokenizer_config_to_chat_completion_handler,
    hf_tokenizer_config_to_chat_formatter,
    register_chat_completion_handler,
)
from ._function_calling import chatml_function_calling
from ._functionary import functionary_chat_handler
from ._functionary_v2 import functionary_v1_v2_chat_handler


class LlamaChatCompletionHandler(Protocol):
    """A callable that answers a chat request itself (``Llama(..., chat_handler=...)``)."""

    def __call__(self, *, llama: Any, messages: list[dict[str, Any]], **kwargs: Any) -> dict[str, Any] | Iterator[Any]:
        """A ``chat.completion`` dict, or its chunks with ``stream=True``."""
        ...


class MTMDChatHandler(MultimodalChatHandler):
    """llama-cpp-python's libmtmd handler: ``clip_model_path`` loaded as ``mmproj_path``, the GGUF's own template."""


class Gemma4ChatHandler(MTMDChatHandler):
    """llama-cpp-python's Gemma 4 handler (an :class:`MTMDChatHandler`)."""

    CHAT_FORMAT: ClassVar[str] = (
        "{{ bos_token }}{% for m in messages %}<start_of_turn>{{ 'model' if m.role == 'assistant' else 'user' }}\n"
        "{{ m.content or '' }}<end_of_turn>\n{% endfor %}"
        "{% if add_generation_prompt %}<start_of_turn>model\n{% endif %}"
    )


register_chat_completion_handler("functionary")(functionary_chat_handler)
register_chat_completion_handler("functionary-v1")(functionary_v1_v2_chat_handler)
register_chat_completion_handler("functionary-v2")(functionary_v1_v2_chat_handler)

# a literal list, so that type checkers know the names too (llama_native/llama_chat_format.pyi star-imports them)
__all__ = [
    "CHATML_BOS_TOKEN",
    "CHATML_CHAT_TEMPLATE",
    "CHATML_EOS_TOKEN",
    "LLAMA3_INSTRUCT_CHAT_TEMPLATE",
    "MISTRAL_INSTRUCT_BOS_TOKEN",
    "MISTRAL_INSTRUCT_CHAT_TEMPLATE",
    "MISTRAL_INSTRUCT_EOS_TOKEN",
    "MIXTRAL_INSTRUCT_CHAT_TEMPLATE",
    "ChatFormatter",
    "ChatFormatterResponse",
    "Gemma4ChatHandler",
    "Jinja2ChatFormatter",
    "Llama3VisionAlpha",
    "Llama3VisionAlphaChatHandler",
    "LlamaChatCompletionHandler",
    "LlamaChatCompletionHandlerNotFoundException",
    "LlamaChatCompletionHandlerRegistry",
    "Llava15ChatHandler",
    "Llava16ChatHandler",
    "MTMDChatHandler",
    "MiniCPMv26ChatHandler",
    "MoondreamChatHandler",
    "MultimodalChatHandler",
    "NanoLlavaChatHandler",
    "ObsidianChatHandler",
    "Qwen25VLChatHandler",
    "chat_formatter_to_chat_completion_handler",
    "chatml_function_calling",
    "format",
    "format_alpaca",
    "format_baichuan",
    "format_baichuan2",
    "format_chatglm3",
    "format_chatml",
    "format_gemma",
    "format_intel",
    "format_llama2",
    "format_llama3",
    "format_mistral_instruct",
    "format_mistrallite",
    "format_oasst_llama",
    "format_open_orca",
    "format_openbuddy",
    "format_openchat",
    "format_phind",
    "format_pygmalion",
    "format_qwen",
    "format_redpajama_incite",
    "format_saiga",
    "format_snoozy",
    "format_zephyr",
    "functionary_chat_handler",
    "functionary_v1_v2_chat_handler",
    "get_chat_completion_handler",
    "get_chat_formatter",
    "guess_chat_format_from_gguf_metadata",
    "hf_autotokenizer_to_chat_completion_handler",
    "hf_autotokenizer_to_chat_formatter",
    "hf_tokenizer_config_to_chat_completion_handler",
    "hf_tokenizer_config_to_chat_formatter",
    "register_chat_completion_handler",
    "register_chat_format",
]
