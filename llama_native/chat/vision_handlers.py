"""llama-cpp-python's multimodal chat handlers, as names for loading a projector.

In llama-cpp-python ``Llava15ChatHandler(clip_model_path=...)`` loads the
image projector and renders its own prompt format.  Here every such name does
one thing: ``Llama(model_path, chat_handler=Llava15ChatHandler(clip_model_path=p))``
loads ``p`` as ``mmproj_path=p`` would, and chat requests take the usual path
(the GGUF's own chat template, images through libmtmd).  A model whose GGUF
carries no chat template (LLaVA-1.5 conversions often do not) gets the
handler's format instead, with images where the messages put them.

Example::

    >>> from llama_native import Llama
    >>> from llama_native.llama_chat_format import Llava15ChatHandler
    >>> from llama_native.testing import synthetic_model_path, synthetic_projector_path
    >>> handler = Llava15ChatHandler(clip_model_path=str(synthetic_projector_path()))
    >>> llm = Llama(str(synthetic_model_path()), chat_handler=handler, n_ctx=256)
    >>> llm.supports_images, llm.mmproj_path == handler.clip_model_path
    (True, True)
"""

from __future__ import annotations

import os
from typing import Any, ClassVar

_VICUNA = (
    "{% if messages[0]['role'] != 'system' %}"
    "A chat between a curious human and an artificial intelligence assistant. "
    "The assistant gives helpful, detailed, and polite answers to the human's questions."
    "{% endif %}"
    "{% for message in messages %}"
    "{% if message['role'] == 'system' %}{{ message['content'] }}"
    "{% elif message['role'] == 'user' %}\nUSER: {{ message['content'] }}"
    "{% elif message['role'] == 'assistant' and message['content'] %}\nASSISTANT: {{ message['content'] }}"
    "{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}\nASSISTANT: {% endif %}"
)

_CHATML = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + (message['content'] or '') + '<|im_end|>\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)

_LLAMA3 = (
    "{{ bos_token }}{% for message in messages %}"
    "{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + (message['content'] or '') + "
    "'<|eot_id|>' }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}"
)


class MultimodalChatHandler:
    """A projector for ``Llama(..., chat_handler=...)``: ``clip_model_path`` is loaded as ``mmproj_path``.

    ``CHAT_FORMAT`` is the template used when the model's GGUF has none.
    Calling the handler answers a chat request on ``llama`` (llama-cpp-python's handler signature).
    """

    CHAT_FORMAT: ClassVar[str] = _CHATML

    def __init__(self, clip_model_path: str | os.PathLike[str], verbose: bool = True) -> None:
        self.clip_model_path = os.fspath(clip_model_path)
        self.verbose = verbose

    def __call__(self, *, llama: Any, messages: list[dict[str, Any]], **request: Any) -> Any:
        """``llama.create_chat_completion(messages, **request)``."""
        return llama.create_chat_completion(messages=messages, **request)


class Llava15ChatHandler(MultimodalChatHandler):
    """LLaVA 1.5 (Vicuna's ``USER:``/``ASSISTANT:`` format when the GGUF has no template)."""

    CHAT_FORMAT = _VICUNA


class Llava16ChatHandler(Llava15ChatHandler):
    """LLaVA 1.6 (LLaVA-NeXT)."""


class ObsidianChatHandler(MultimodalChatHandler):
    """Obsidian (ChatML)."""


class MoondreamChatHandler(MultimodalChatHandler):
    """moondream2."""

    CHAT_FORMAT = (
        "{% for message in messages %}"
        "{% if message['role'] == 'user' %}{{ message['content'] }}\n\nQuestion: {% endif %}"
        "{% if message['role'] == 'assistant' and message['content'] %}Answer: {{ message['content'] }}\n\n{% endif %}"
        "{% endfor %}{% if add_generation_prompt %}Answer:{% endif %}"
    )


class NanoLlavaChatHandler(MultimodalChatHandler):
    """nanoLLaVA (ChatML)."""


class Llama3VisionAlphaChatHandler(MultimodalChatHandler):
    """llama3-vision-alpha (Llama 3's header format)."""

    CHAT_FORMAT = _LLAMA3


#: llama-cpp-python's second name for it
Llama3VisionAlpha = Llama3VisionAlphaChatHandler


class MiniCPMv26ChatHandler(MultimodalChatHandler):
    """MiniCPM-V 2.6 (ChatML)."""


class Qwen25VLChatHandler(MultimodalChatHandler):
    """Qwen2.5-VL (ChatML; its images take M-RoPE positions)."""


#: llama-cpp-python's server ``chat_format`` names for these handlers (its config files name them so)
HANDLERS_BY_CHAT_FORMAT: dict[str, type[MultimodalChatHandler]] = {
    "llava-1-5": Llava15ChatHandler,
    "obsidian": ObsidianChatHandler,
    "llava-1-6": Llava16ChatHandler,
    "moondream2": MoondreamChatHandler,
    "nanollava": NanoLlavaChatHandler,
    "llama-3-vision-alpha": Llama3VisionAlphaChatHandler,
    "minicpm-v-2.6": MiniCPMv26ChatHandler,
    "qwen2.5-vl": Qwen25VLChatHandler,
}

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
]
