"""Named chat formats for models without a template, and the registry to add your own.

Every name llama-cpp-python 0.3.36 registers renders its prompt exactly as
there (:mod:`llama_native.chat.lcp_formats`: the same strings, so the same
prompt tokens); its tool-calling handlers (``chatml-function-calling``,
``functionary*``) are chat completion handlers
(:mod:`llama_native.compat.chat_handlers`).  ``phi-3`` (not a llama-cpp-python
name) is a small Jinja2 template run by
:class:`~llama_native.chat.templates.Jinja2ChatFormatter`.  The earlier
Jinja2 renderings of the shared names (which put the BOS text in the prompt
and render system and tool turns) stay available as
``get_chat_formatter(name, legacy=True)``.

Example::

    >>> from llama_native.chat import get_chat_formatter, register_chat_format, ChatFormatterResponse
    >>> messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}]
    >>> print(get_chat_formatter("chatml")(messages=messages).prompt)
    <|im_start|>system
    Be brief.<|im_end|>
    <|im_start|>user
    hi<|im_end|>
    <|im_start|>assistant
    <BLANKLINE>
    >>> @register_chat_format("shout")
    ... def shout(messages, **kwargs):
    ...     return ChatFormatterResponse(prompt=" ".join(m["content"].upper() for m in messages) + "\\n>", stop=["\\n"])
    >>> get_chat_formatter("shout")(messages=[{"role": "user", "content": "hi"}]).prompt
    'HI\\n>'
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .lcp_formats import LCP_FORMATS
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
_LEGACY: dict[str, ChatFormatter] = {}

_LCP: dict[str, ChatFormatter] = {}

#: stop strings kept where llama-cpp-python's format names none (generation stops at EOS there anyway)
_EXTRA_STOPS = {"llama-2": ["</s>"]}

#: names whose default stays llama-native's earlier rendering: tests/chat/test_chat_completion.py
#: (test_named_chat_format_overrides_the_template) asserts its "<s>[INST] <<SYS>>" prompt for llama-2
_LEGACY_DEFAULT = {"llama-2"}


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


def _lcp_formatter(name: str, format_messages: ChatFormatter) -> ChatFormatter:
    """llama-cpp-python's format function, its ``stop`` as a list."""

    def formatter(*, messages: Any, **kwargs: Any) -> ChatFormatterResponse:
        response = format_messages(messages=messages, **kwargs)
        stop = response.stop
        stops = [stop] if isinstance(stop, str) else list(stop or [])
        response.stop = stops or list(_EXTRA_STOPS.get(name, [])) or None
        return response

    formatter.__name__ = getattr(format_messages, "__name__", name)
    formatter.__doc__ = format_messages.__doc__
    return formatter


for _name, (_template, _bos, _eos, _stop) in _BUILTIN.items():
    _LEGACY[_name] = _builtin_formatter(_template, _bos, _eos, _stop)
    register_chat_format(_name)(_LEGACY[_name])
for _name, _format in LCP_FORMATS.items():
    _LCP[_name] = _lcp_formatter(_name, _format)
    if _name not in _LEGACY_DEFAULT:
        register_chat_format(_name)(_LCP[_name])


def get_chat_formatter(name: str, *, legacy: bool | None = None) -> ChatFormatter:
    """The registered chat format ``name``; ``ValueError`` lists the known names otherwise.

    ``legacy=True``: llama-native's earlier Jinja2 rendering of a name it shares
    with llama-cpp-python (``chatml``, ``llama-2``, ``llama-3``, ``mistral-instruct``,
    ``gemma``, ``qwen``, ``zephyr``, ``vicuna``, ``alpaca``), which renders
    system and tool turns that llama-cpp-python's drops; ``legacy=False``:
    llama-cpp-python's rendering.  None (the default): what ``chat_format=name``
    uses, llama-cpp-python's except for ``llama-2``, which keeps llama-native's
    (its ``<s>[INST] <<SYS>>`` prompt is what existing code relies on).

    Example::

        >>> get_chat_formatter("llama-2", legacy=False)(messages=[{"role": "user", "content": "hi"}]).prompt
        ' <s>[INST]hi  [/INST]'
    """
    if legacy is True and name in _LEGACY:
        return _LEGACY[name]
    if legacy is False and name in _LCP:
        return _LCP[name]
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown chat_format {name!r}; known formats: {', '.join(sorted(_REGISTRY))}") from None


def list_chat_formats() -> list[str]:
    """Names of every registered chat format."""
    return sorted(_REGISTRY)
