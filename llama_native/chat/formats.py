"""Named chat formats for models without a template, and the registry to add your own.

Every built-in format is a small Jinja2 template run by
:class:`~llama_native.chat.templates.Jinja2ChatFormatter` (in the sandbox), so
named formats and GGUF templates go through the same code.

Example::

    >>> from llama_native.chat import get_chat_formatter, register_chat_format, ChatFormatterResponse
    >>> get_chat_formatter("chatml")(messages=[{"role": "user", "content": "hi"}]).prompt
    '<|im_start|>user\\nhi<|im_end|>\\n<|im_start|>assistant\\n'
    >>> @register_chat_format("shout")
    ... def shout(messages, **kwargs):
    ...     return ChatFormatterResponse(prompt=" ".join(m["content"].upper() for m in messages) + "\\n>", stop=["\\n"])
    >>> get_chat_formatter("shout")(messages=[{"role": "user", "content": "hi"}]).prompt
    'HI\\n>'
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .templates import ChatFormatterResponse, Jinja2ChatFormatter

ChatFormatter = Callable[..., ChatFormatterResponse]

_CHATML = (
    "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content or '' }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
_QWEN = (
    "{% if messages[0].role != 'system' %}<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n{% endif %}"
    + _CHATML
)
_LLAMA2 = (
    "{% set ns = namespace(system='') %}"
    "{% for m in messages %}{% if m.role == 'system' %}{% set ns.system = m.content %}"
    "{% elif m.role == 'user' %}{{ bos_token }}[INST] "
    "{% if ns.system %}<<SYS>>\n{{ ns.system }}\n<</SYS>>\n\n{% set ns.system = '' %}{% endif %}"
    "{{ m.content or '' }} [/INST]"
    "{% elif m.role == 'assistant' %} {{ m.content or '' }} {{ eos_token }}"
    "{% else %}{{ bos_token }}[INST] {{ m.content or '' }} [/INST]{% endif %}{% endfor %}"
)
_LLAMA3 = (
    "{{ bos_token }}{% for m in messages %}<|start_header_id|>{{ 'ipython' if m.role == 'tool' else m.role }}"
    "<|end_header_id|>\n\n{{ m.content or '' }}<|eot_id|>{% endfor %}"
    "{% if add_generation_prompt %}<|start_header_id|>assistant<|end_header_id|>\n\n{% endif %}"
)
_MISTRAL = (
    "{{ bos_token }}{% set ns = namespace(system='') %}"
    "{% for m in messages %}{% if m.role == 'system' %}{% set ns.system = m.content + '\n\n' %}"
    "{% elif m.role == 'assistant' %}{{ m.content or '' }}{{ eos_token }}"
    "{% else %}[INST] {{ ns.system }}{{ m.content or '' }} [/INST]{% set ns.system = '' %}{% endif %}{% endfor %}"
)
_GEMMA = (
    "{{ bos_token }}{% set ns = namespace(system='') %}"
    "{% for m in messages %}{% if m.role == 'system' %}{% set ns.system = m.content + '\n\n' %}"
    "{% else %}<start_of_turn>{{ 'model' if m.role == 'assistant' else 'user' }}\n"
    "{% if m.role != 'assistant' %}{{ ns.system }}{% set ns.system = '' %}{% endif %}"
    "{{ m.content or '' }}<end_of_turn>\n{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}<start_of_turn>model\n{% endif %}"
)
_PHI3 = (
    "{% for m in messages %}<|{{ m.role if m.role in ('system', 'user', 'assistant') else 'user' }}|>\n"
    "{{ m.content or '' }}<|end|>\n{% endfor %}{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)
_ZEPHYR = (
    "{% for m in messages %}<|{{ m.role }}|>\n{{ m.content or '' }}{{ eos_token }}\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)
_VICUNA = (
    "{% for m in messages %}{% if m.role == 'system' %}{{ m.content }}\n\n"
    "{% elif m.role == 'assistant' %}ASSISTANT: {{ m.content or '' }}{{ eos_token }}\n"
    "{% else %}USER: {{ m.content or '' }}\n{% endif %}{% endfor %}{% if add_generation_prompt %}ASSISTANT: {% endif %}"
)
_ALPACA = (
    "{% for m in messages %}{% if m.role == 'system' %}{{ m.content }}\n\n"
    "{% elif m.role == 'assistant' %}### Response:\n{{ m.content or '' }}\n\n"
    "{% else %}### Instruction:\n{{ m.content or '' }}\n\n{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}### Response:\n{% endif %}"
)

# name -> (template, bos, eos, stop strings)
_BUILTIN: dict[str, tuple] = {
    "chatml": (_CHATML, "", "<|im_end|>", ["<|im_end|>"]),
    "qwen": (_QWEN, "", "<|im_end|>", ["<|im_end|>"]),
    "llama-2": (_LLAMA2, "<s>", "</s>", ["</s>"]),
    "llama-3": (_LLAMA3, "<|begin_of_text|>", "<|eot_id|>", ["<|eot_id|>"]),
    "mistral-instruct": (_MISTRAL, "<s>", "</s>", ["</s>"]),
    "gemma": (_GEMMA, "<bos>", "<end_of_turn>", ["<end_of_turn>"]),
    "phi-3": (_PHI3, "", "<|end|>", ["<|end|>", "<|endoftext|>"]),
    "zephyr": (_ZEPHYR, "", "</s>", ["</s>"]),
    "vicuna": (_VICUNA, "", "</s>", ["</s>", "USER:"]),
    "alpaca": (_ALPACA, "", "</s>", ["###"]),
}

_REGISTRY: dict[str, ChatFormatter] = {}


def register_chat_format(name: str) -> Callable[[ChatFormatter], ChatFormatter]:
    """Decorator registering ``f(messages=..., **kwargs) -> ChatFormatterResponse`` as chat format ``name``."""

    def decorator(formatter: ChatFormatter) -> ChatFormatter:
        _REGISTRY[name] = formatter
        return formatter

    return decorator


def _builtin_formatter(template: str, bos: str, eos: str, stop: list[str]) -> ChatFormatter:
    formatter = Jinja2ChatFormatter(template, eos_token=eos, bos_token=bos)

    def format_messages(*, messages: Any, **kwargs: Any) -> ChatFormatterResponse:
        response = formatter(messages=messages, **kwargs)
        response.stop = list(stop)
        return response

    return format_messages


for _name, (_template, _bos, _eos, _stop) in _BUILTIN.items():
    register_chat_format(_name)(_builtin_formatter(_template, _bos, _eos, _stop))


def get_chat_formatter(name: str) -> ChatFormatter:
    """The registered chat format ``name``; ``ValueError`` lists the known names otherwise."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown chat_format {name!r}; known formats: {', '.join(sorted(_REGISTRY))}") from None


def list_chat_formats() -> list[str]:
    """Names of every registered chat format."""
    return sorted(_REGISTRY)
