"""Chat templates: every real template renders, the sandbox blocks template attacks, named formats work."""

from __future__ import annotations

from pathlib import Path

import pytest

from llama_native._llama_cpp_source import llama_cpp_dir
from llama_native.chat import (
    ChatFormatterResponse, ChatTemplateError, Jinja2ChatFormatter, TemplateRaised, get_chat_formatter,
    list_chat_formats, register_chat_format,
)

TEMPLATES = sorted((llama_cpp_dir() / "models" / "templates").glob("*.jinja"))

TOOLS = [{"type": "function", "function": {
    "name": "get_weather", "description": "Current weather in a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]

CONVERSATION = [
    {"role": "system", "content": "You are helpful."},
    {"role": "user", "content": "Hello"},
    {"role": "assistant", "content": "Hi! How can I help?"},
    {"role": "user", "content": "Weather in Paris?"},
    {"role": "assistant", "content": None, "tool_calls": [{"id": "abc123def", "type": "function", "function": {
        "name": "get_weather", "arguments": '{"city": "Paris"}'}}]},
    {"role": "tool", "tool_call_id": "abc123def", "content": "18C, sunny"},
]

# Templates that refuse this conversation themselves, through raise_exception (and why).
REFUSED_BY_TEMPLATE = {"google-gemma-2-2b-it.jinja": "System role not supported"}


def test_the_pinned_source_has_the_templates() -> None:
    assert len(TEMPLATES) >= 60


@pytest.mark.parametrize("path", TEMPLATES, ids=[p.stem for p in TEMPLATES])
def test_every_template_renders_a_tool_conversation(path: Path) -> None:
    formatter = Jinja2ChatFormatter(path.read_text(encoding="utf-8"), eos_token="</s>", bos_token="<s>")
    if path.name in REFUSED_BY_TEMPLATE:
        with pytest.raises(TemplateRaised, match=REFUSED_BY_TEMPLATE[path.name]):
            formatter(messages=CONVERSATION, tools=TOOLS)
        return
    prompt = formatter(messages=CONVERSATION, tools=TOOLS).prompt
    assert "Hello" in prompt and "Weather in Paris?" in prompt


def test_tool_results_and_calls_round_trip_through_a_tool_template() -> None:
    qwen = (llama_cpp_dir() / "models" / "templates" / "Qwen-Qwen2.5-7B-Instruct.jinja").read_text()
    prompt = Jinja2ChatFormatter(qwen, eos_token="<|im_end|>", bos_token="")(messages=CONVERSATION, tools=TOOLS).prompt
    assert '"name": "get_weather"' in prompt and '"city": "Paris"' in prompt  # arguments rendered as a mapping
    assert "18C, sunny" in prompt and "<tool_response>" in prompt
    assert prompt.endswith("<|im_start|>assistant\n")


@pytest.mark.parametrize("payload", [
    "{{ self.__init__.__globals__.__builtins__.__import__('os').popen('touch /tmp/llama-native-pwned').read() }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "{% for c in [].__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}",
])
def test_sandbox_blocks_template_attacks(payload: str) -> None:
    marker = Path("/tmp/llama-native-pwned")
    marker.unlink(missing_ok=True)
    with pytest.raises(ChatTemplateError):
        Jinja2ChatFormatter(payload, eos_token="", bos_token="")(messages=[{"role": "user", "content": "x"}])
    assert not marker.exists()


def test_sandbox_allows_what_real_templates_do() -> None:
    template = (
        "{% set ns = namespace(n=0) %}{% set seen = [] %}"
        "{% for m in messages %}{% if m.role == 'system' %}{% continue %}{% endif %}"
        "{% do seen.append(m.role) %}{% set ns.n = ns.n + 1 %}{% if ns.n > 5 %}{% break %}{% endif %}{% endfor %}"
        "{{ seen | join(',') }}|{{ ns.n }}|{{ {'a': '<b>'} | tojson }}|{{ strftime_now('%Y') | length }}"
        "|{{ bos_token }}{{ eos_token }}{% if add_generation_prompt %}>{% endif %}"
        "{% if messages | length > 9 %}{{ raise_exception('too long') }}{% endif %}"
    )
    formatter = Jinja2ChatFormatter(template, eos_token="</s>", bos_token="<s>")
    messages = [{"role": "system", "content": "s"}, {"role": "user", "content": "u"}, {"role": "assistant", "content": "a"}]
    assert formatter(messages=messages).prompt == 'user,assistant|2|{"a": "<b>"}|4|<s></s>>'
    with pytest.raises(TemplateRaised, match="too long"):
        formatter(messages=messages * 4)


def test_named_formats_render_and_stop_at_end_of_turn() -> None:
    for name in ("chatml", "llama-2", "llama-3", "mistral-instruct", "gemma", "phi-3", "qwen"):
        response = get_chat_formatter(name)(messages=CONVERSATION[:4])
        assert "Weather in Paris?" in response.prompt and response.stop, name
    assert get_chat_formatter("llama-3")(messages=CONVERSATION[:2]).prompt.endswith(
        "<|start_header_id|>assistant<|end_header_id|>\n\n")
    assert get_chat_formatter("chatml")(messages=CONVERSATION[:2]).stop == ["<|im_end|>"]


def test_register_your_own_format() -> None:
    @register_chat_format("test-shout")
    def shout(*, messages, **kwargs):
        return ChatFormatterResponse(prompt="".join(m["content"].upper() for m in messages) + ">", stop=["\n"])

    assert "test-shout" in list_chat_formats()
    assert get_chat_formatter("test-shout")(messages=[{"role": "user", "content": "hi"}]).prompt == "HI>"
    with pytest.raises(ValueError, match="unknown chat_format 'nope'"):
        get_chat_formatter("nope")


def test_broken_template_is_a_clear_error() -> None:
    with pytest.raises(ChatTemplateError, match="does not parse"):
        Jinja2ChatFormatter("{% for %}", eos_token="", bos_token="")
