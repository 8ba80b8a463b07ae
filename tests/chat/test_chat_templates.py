"""Chat templates: every real template renders, the sandbox blocks template attacks, named formats work."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from llama_native.llama_cpp_source import llama_cpp_dir
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

# Templates that refuse this conversation as given, through raise_exception (and why); they render it conformed.
REFUSED_BY_TEMPLATE = {"google-gemma-2-2b-it.jinja": "System role not supported"}


def test_the_pinned_source_has_the_templates() -> None:
    assert len(TEMPLATES) >= 60


@pytest.mark.parametrize("path", TEMPLATES, ids=[p.stem for p in TEMPLATES])
def test_every_template_renders_a_tool_conversation(path: Path) -> None:
    formatter = Jinja2ChatFormatter(path.read_text(encoding="utf-8"), eos_token="</s>", bos_token="<s>")
    if path.name in REFUSED_BY_TEMPLATE:
        with pytest.raises(TemplateRaised, match=REFUSED_BY_TEMPLATE[path.name]):
            formatter._render_shapes(CONVERSATION, {"tools": TOOLS, "add_generation_prompt": True})
    prompt = formatter(messages=CONVERSATION, tools=TOOLS).prompt
    assert "Hello" in prompt and "Weather in Paris?" in prompt and "18C, sunny" in prompt


MISTRAL = "mistralai-Mistral-Nemo-Instruct-2407.jinja"


def test_a_refused_conversation_is_conformed_for_the_template() -> None:
    template = next(p for p in TEMPLATES if p.name == MISTRAL).read_text(encoding="utf-8")
    formatter = Jinja2ChatFormatter(template, eos_token="</s>", bos_token="<s>")
    call = {"id": "abc123", "type": "function", "function": {"name": "add", "arguments": "{}"}}
    messages = [
        {"role": "system", "content": "Be brief."}, {"role": "system", "content": "Be kind."},
        {"role": "user", "content": "first"}, {"role": "user", "content": "second"},
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "abc123", "content": "3"},
    ]
    with pytest.raises(TemplateRaised):  # roles must alternate; ids must be 9 alphanumerics
        formatter._render_shapes(messages, {"add_generation_prompt": True})
    prompt = formatter(messages=messages).prompt
    assert "first\n\nsecond" in prompt  # (Mistral shows the system text with the last user turn only)
    call_ids = re.findall(r'"(?:call_)?id": "([^"]+)"', prompt)
    assert len(call_ids) == 2 and call_ids[0] == call_ids[1] and re.fullmatch(r"[A-Za-z0-9]{9}", call_ids[0])
    # a user turn right after a tool result breaks Mistral's alternation: the tool turns are written as text
    prompt = formatter(messages=messages + [{"role": "user", "content": "third"}]).prompt
    assert '<tool_call>\n{"name": "add", "arguments": {}}\n</tool_call>' in prompt and "third" in prompt
    assert "Be brief.\n\nBe kind." in prompt


def test_a_template_without_tools_gets_tool_turns_as_text() -> None:
    formatter = get_chat_formatter("chatml")
    template = (llama_cpp_dir() / "models" / "templates" / "microsoft-Phi-3.5-mini-instruct.jinja").read_text()
    phi = Jinja2ChatFormatter(template, eos_token="<|endoftext|>", bos_token="<s>")
    assert not phi.supports_tools
    prompt = phi(messages=CONVERSATION).prompt
    assert "<tool_response>\n18C, sunny\n</tool_response>" in prompt and '"name": "get_weather"' in prompt
    assert "Weather in Paris?" in formatter(messages=CONVERSATION).prompt


def test_a_template_that_refuses_anyway_raises_its_own_message() -> None:
    formatter = Jinja2ChatFormatter("{{ raise_exception('no way') }}", eos_token="", bos_token="")
    with pytest.raises(TemplateRaised, match="no way"):
        formatter(messages=[{"role": "user", "content": "x"}])


def test_tool_results_and_calls_round_trip_through_a_tool_template() -> None:
    qwen = (llama_cpp_dir() / "models" / "templates" / "Qwen-Qwen2.5-7B-Instruct.jinja").read_text()
    prompt = Jinja2ChatFormatter(qwen, eos_token="<|im_end|>", bos_token="")(messages=CONVERSATION, tools=TOOLS).prompt
    assert '"name": "get_weather"' in prompt and '"city": "Paris"' in prompt  # arguments rendered as a mapping
    assert "18C, sunny" in prompt and "<tool_response>" in prompt
    assert prompt.endswith("<|im_start|>assistant\n")


# CVE-2024-34359-style payloads: reach Python's objects to run a command (the marker file shows one ran)
PAYLOADS = [
    "{{ self.__init__.__globals__.__builtins__.__import__('os').popen('touch /tmp/llama-native-pwned').read() }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ cycler.__init__.__globals__.os.popen('touch /tmp/llama-native-pwned').read() }}",
    "{% for c in [].__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_sandbox_blocks_template_attacks(payload: str) -> None:
    marker = Path("/tmp/llama-native-pwned")
    marker.unlink(missing_ok=True)
    with pytest.raises(ChatTemplateError):
        Jinja2ChatFormatter(payload, eos_token="", bos_token="")(messages=[{"role": "user", "content": "x"}])
    assert not marker.exists()


@pytest.mark.parametrize("payload", PAYLOADS)
def test_llama_cpp_template_layer_runs_no_payload(payload: str) -> None:
    """llama.cpp's Jinja (the route of tool requests) is C++ with no Python objects: the payloads reach nothing."""
    from llama_native.chat.template_layer import TemplateLayer

    marker = Path("/tmp/llama-native-pwned")
    marker.unlink(missing_ok=True)
    layer = TemplateLayer(None, payload + "{% for m in messages %}{{ m.content }}{% endfor %}")
    try:
        prompt = layer.apply({"messages": [{"role": "user", "content": "x"}], "tools": TOOLS})["prompt"]
    except ValueError:
        prompt = None  # refused (or not even parsed): fine too
    assert not marker.exists()
    assert prompt is None or ("uid=" not in prompt and "subprocess" not in prompt and "Popen" not in prompt)


@pytest.mark.parametrize("path", [p for p in TEMPLATES if "tools" in p.read_text()], ids=lambda p: p.name)
def test_every_template_renders_a_tool_conversation_in_llama_cpps_layer(path: Path) -> None:
    """The 63 templates that mention tools, in llama.cpp's layer (the others, tool turns as text, take ours)."""
    from llama_native.chat.template_layer import TemplateLayer

    layer = TemplateLayer(None, path.read_text(), "<s>", "</s>")
    prompt = layer.apply({"messages": CONVERSATION, "tools": TOOLS, "tool_choice": "auto"})["prompt"]
    assert "18C, sunny" in prompt and "Weather in Paris?" in prompt


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
        formatter(messages=messages * 5)


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
