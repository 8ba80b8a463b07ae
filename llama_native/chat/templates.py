"""Chat templates rendered in jinja2's sandbox, with messages shaped as Hugging Face templates expect.

A GGUF's ``tokenizer.chat_template`` is untrusted text (llama-cpp-python's
CVE-2024-34359 was remote code execution through it), so it only ever runs in
:class:`jinja2.sandbox.SandboxedEnvironment`: attributes starting with an
underscore (``__class__``, ``__subclasses__``, ``__globals__``, ...) and
unsafe callables are refused, while what real templates do (``list.append``,
``namespace``, loop controls, ``tojson``) works.  We use the mutable sandbox,
not the immutable one, because real templates append to lists.

Example::

    >>> from llama_native.chat import Jinja2ChatFormatter
    >>> fmt = Jinja2ChatFormatter(
    ...     "{% for m in messages %}<|{{ m.role }}|>{{ m.content }}{% endfor %}"
    ...     "{% if add_generation_prompt %}<|assistant|>{% endif %}", eos_token="</s>", bos_token="<s>")
    >>> fmt(messages=[{"role": "user", "content": "hi"}]).prompt
    '<|user|>hi<|assistant|>'
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import string
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import jinja2
from jinja2.ext import Extension
from jinja2.sandbox import SandboxedEnvironment


def legacy_functions_listing(tools: Sequence[dict[str, Any]]) -> str:
    """The ``functions`` JSON text legacy-API templates (FireFunction) read."""
    return json.dumps([t.get("function", t) for t in tools], ensure_ascii=False, indent=2)


class ChatTemplateError(ValueError):
    """A chat template failed to render (or refused the conversation through ``raise_exception``)."""


class TemplateRaised(ChatTemplateError):
    """The template itself refused the messages with ``raise_exception(message)``."""


@dataclass
class ChatFormatterResponse:
    """A rendered prompt, as in llama-cpp-python: ``prompt``, ``stop`` strings, ``added_special``."""

    prompt: str
    stop: str | list[str] | None = None
    stopping_criteria: Any = None
    added_special: bool = False
    tool_syntax: str | None = None  # "hermes", "llama3", "mistral", ... when the template has a native one


class _GenerationTag(Extension):
    """``{% generation %}...{% endgeneration %}`` (Hugging Face's assistant-mask tag) renders its body."""

    tags = {"generation"}

    def parse(self, parser: Any) -> Any:
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(("name:endgeneration",), drop_needle=True)
        return jinja2.nodes.Scope(body, lineno=lineno)


def _raise_exception(message: str) -> None:
    raise TemplateRaised(str(message))


def _json_default(value: Any) -> Any:
    if isinstance(value, jinja2.Undefined):
        return None
    if isinstance(value, (Iterator, Iterable)) and not isinstance(value, (str, bytes, dict)):
        return list(value)  # e.g. the generator of ``tools | map(attribute='function')``
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _tojson(
    value: Any, ensure_ascii: bool = False, indent: Any = None, separators: Any = None, sort_keys: bool = False
) -> str:
    # Hugging Face's tojson: plain json.dumps (jinja2's own one escapes HTML characters)
    return json.dumps(
        value,
        ensure_ascii=ensure_ascii,
        indent=indent,
        separators=separators,
        sort_keys=sort_keys,
        default=_json_default,
    )


def _strftime_now(fmt: str) -> str:
    return datetime.now().strftime(fmt)


def make_environment() -> SandboxedEnvironment:
    """The sandboxed jinja2 environment every chat template is rendered in."""
    env = SandboxedEnvironment(
        trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.loopcontrols", "jinja2.ext.do", _GenerationTag]
    )
    env.filters["tojson"] = _tojson
    env.globals["raise_exception"] = _raise_exception
    env.globals["strftime_now"] = _strftime_now
    return env


def _arguments_as_mapping(arguments: Any) -> Any:
    if isinstance(arguments, str):
        try:
            parsed = json.loads(arguments)
        except ValueError:
            return arguments
        return parsed if isinstance(parsed, dict) else arguments
    return arguments


def _text_of(content: Any) -> Any:
    """A list of text parts becomes one string (templates differ in what they accept); other content is kept."""
    if isinstance(content, list) and all(isinstance(p, dict) and p.get("type") == "text" for p in content):
        return "".join(str(p.get("text", "")) for p in content)
    return content


def normalize_tools(tools: Sequence[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    """OpenAI tools, with the fields some templates read at the top level.

    Those are ``name``, ``description`` and Cohere's ``parameter_definitions``.
    """
    if tools is None:
        return None
    out = []
    for tool in tools:
        tool = copy.deepcopy(dict(tool))
        function = tool.get("function") or {}
        params = function.get("parameters") or {"type": "object", "properties": {}}
        tool.setdefault("name", function.get("name"))
        tool.setdefault("description", function.get("description", ""))
        tool.setdefault("parameters", params)
        required = set(params.get("required", []))
        tool.setdefault(
            "parameter_definitions",
            {
                name: {
                    "description": spec.get("description", ""),
                    "type": spec.get("type", "string"),
                    "required": name in required,
                }
                for name, spec in (params.get("properties") or {}).items()
                if isinstance(spec, dict)
            },
        )
        out.append(tool)
    return out


def normalize_messages(
    messages: Sequence[dict[str, Any]], none_content: Any = None, arguments_as_text: bool = False
) -> list[dict[str, Any]]:
    """Copies of OpenAI-style messages in the shape Hugging Face chat templates expect.

    Tool-call ``arguments`` become mappings (OpenAI sends JSON strings; JSON
    text with ``arguments_as_text``), a ``content`` of None becomes
    ``none_content``, text-part lists become strings, and tool results get
    the ``name`` of the call they answer.
    """
    out: list[dict[str, Any]] = []
    names_by_id: dict[str, str] = {}
    for message in messages:
        if not isinstance(message, dict) or "role" not in message:
            raise ValueError(f"each message must be a dict with a 'role', got {message!r}")
        m = copy.deepcopy(dict(message))
        m["content"] = _text_of(m.get("content"))
        if m["content"] is None:
            m["content"] = none_content
        if m.get("tool_calls"):
            calls = []
            for call in m["tool_calls"]:
                call = dict(call)
                function = dict(call.get("function") or {})
                function["arguments"] = _arguments_as_mapping(function.get("arguments", {}))
                if arguments_as_text and not isinstance(function["arguments"], str):
                    function["arguments"] = json.dumps(function["arguments"], ensure_ascii=False)
                call["function"] = function
                call.setdefault("type", "function")
                # some templates read name/arguments at the top level of a call
                call.setdefault("name", function.get("name"))
                call.setdefault("arguments", function["arguments"])
                if call.get("id") and function.get("name"):
                    names_by_id[call["id"]] = function["name"]
                calls.append(call)
            m["tool_calls"] = calls
        if m["role"] == "tool" and "name" not in m and m.get("tool_call_id") in names_by_id:
            m["name"] = names_by_id[m["tool_call_id"]]
        out.append(m)
    return out


_STRICT_TOOL_ID = re.compile(r"^[A-Za-z0-9]{9}$")


def _strict_tool_id(call_id: str) -> str:
    """A 9-character alphanumeric id derived from ``call_id`` (Mistral templates accept no other)."""
    if _STRICT_TOOL_ID.match(call_id):
        return call_id
    digest = hashlib.sha256(call_id.encode("utf-8")).digest()
    alphabet = string.ascii_letters + string.digits
    return "".join(alphabet[b % len(alphabet)] for b in digest[:9])


def conform_messages(messages: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The conversation in the strictest shape templates ask for, for a template that refused it.

    Templates that raise on a conversation (Mistral: roles must alternate,
    tool-call ids are 9 alphanumerics; Gemma: no system role) get the same
    content conformed: consecutive plain messages of one role are joined,
    system text opens the first user message when the template refuses a
    system role, and tool-call ids are mapped to 9 alphanumerics.
    """
    out: list[dict[str, Any]] = []
    for message in messages:
        m = copy.deepcopy(dict(message))
        if m.get("tool_calls"):
            m["tool_calls"] = [dict(c, id=_strict_tool_id(str(c["id"]))) if c.get("id") else c for c in m["tool_calls"]]
        if m.get("tool_call_id"):
            m["tool_call_id"] = _strict_tool_id(str(m["tool_call_id"]))
        previous = out[-1] if out else None
        plain = m.get("role") in ("system", "user", "assistant") and not m.get("tool_calls")
        if (
            previous is not None
            and plain
            and previous.get("role") == m.get("role")
            and not previous.get("tool_calls")
            and isinstance(previous.get("content"), str)
            and isinstance(_text_of(m.get("content")), str)
        ):
            previous["content"] = "\n\n".join(t for t in (previous["content"], _text_of(m.get("content"))) if t)
            continue
        out.append(m)
    return out


def fold_system_messages(messages: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """System messages' text moved to the start of the next user message (for templates without a system role)."""
    out: list[dict[str, Any]] = []
    pending: list[str] = []
    for message in messages:
        m = dict(message)
        if m.get("role") == "system":
            pending.append(str(_text_of(m.get("content")) or ""))
            continue
        if pending and m.get("role") == "user":
            m["content"] = "\n\n".join(pending + [str(_text_of(m.get("content")) or "")])
            pending = []
        out.append(m)
    if pending:
        out.append({"role": "user", "content": "\n\n".join(pending)})
    return out


def tool_turns_as_text(messages: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Tool calls and results written as Hermes-style text turns (for templates without tool roles)."""
    out: list[dict[str, Any]] = []
    for message in messages:
        m = dict(message)
        if m.get("tool_calls"):
            calls = []
            for call in m.pop("tool_calls"):
                function = call.get("function") or {}
                arguments = _arguments_as_mapping(function.get("arguments", {}))
                calls.append(
                    "<tool_call>\n"
                    + json.dumps({"name": function.get("name"), "arguments": arguments}, ensure_ascii=False)
                    + "\n</tool_call>"
                )
            m["content"] = "\n".join([str(_text_of(m.get("content")) or "")] + calls).strip()
        elif m.get("role") in ("tool", "function"):
            m = {"role": "user", "content": f"<tool_response>\n{_text_of(m.get('content')) or ''}\n</tool_response>"}
        out.append(m)
    return out


def detect_tool_syntax(template: str) -> str | None:
    """The tool-call syntax a template renders natively, if we know it."""
    if "<tool_call>" in template:
        return "hermes"
    if "[TOOL_CALLS]" in template:
        return "mistral"
    if "<|python_tag|>" in template or ("<|start_header_id|>" in template and "tool" in template):
        return "llama3"
    return None


def template_supports_tools(template: str) -> bool:
    """True when a chat template renders the ``tools`` it is given."""
    return "tools" in template


class Jinja2ChatFormatter:
    """Renders messages with a Jinja2 chat template (in the sandbox), as llama-cpp-python's class of that name.

    ``__call__(messages=..., tools=..., tool_choice=..., **kwargs)`` returns a
    :class:`ChatFormatterResponse`; extra keyword arguments reach the template
    (e.g. ``enable_thinking=False``).
    """

    def __init__(
        self,
        template: str,
        eos_token: str,
        bos_token: str,
        add_generation_prompt: bool = True,
        stop_token_ids: list[int] | None = None,
    ) -> None:
        self.template = template
        self.eos_token = eos_token
        self.bos_token = bos_token
        self.add_generation_prompt = add_generation_prompt
        self.stop_token_ids = list(stop_token_ids or [])
        try:
            self._compiled = make_environment().from_string(template)
        except jinja2.TemplateError as exc:
            raise ChatTemplateError(f"the chat template does not parse: {exc}") from None
        self.tool_syntax = detect_tool_syntax(template)
        self.supports_tools = template_supports_tools(template)
        #: llama.cpp's chat layer for this template (set for GGUF templates):
        #: requests with tools use the template's own tool syntax through it
        self.template_layer: Any = None

    def render(self, messages: Sequence[dict[str, Any]], **kwargs: Any) -> str:
        """The prompt text.

        Messages are tried in the shapes templates expect, most common first:
        ``content=None`` with tool-call arguments as mappings, then ``""`` for
        templates that cannot take None, then arguments as JSON text.  When
        the template itself refuses the conversation (``raise_exception``),
        it is tried again conformed (:func:`conform_messages`, then with the
        system text folded into the user turn, then with tool turns written
        as text) before the refusal is raised.
        """
        variables: dict[str, Any] = dict(
            eos_token=self.eos_token,
            bos_token=self.bos_token,
            add_generation_prompt=self.add_generation_prompt,
        )
        variables["date_string"] = datetime.now().strftime("%d %b %Y")  # Llama 3.x
        variables["datetime"] = datetime.now().strftime("%b %d %Y %H:%M:%S GMT")  # FireFunction
        variables.update({k: v for k, v in kwargs.items() if v is not None})
        if variables.get("tools") is not None:
            variables["tools"] = normalize_tools(variables["tools"])
            # templates written for the legacy API (e.g. FireFunction) read a JSON listing
            variables.setdefault("functions", legacy_functions_listing(variables["tools"]))
        if not self.supports_tools:
            # a template that knows no tools would drop tool turns or refuse them: write them as text,
            # in the syntax the system prompt taught the model (tools_system_prompt)
            messages = tool_turns_as_text(messages)
        try:
            return self._render_shapes(messages, variables)
        except TemplateRaised as refused:
            # the template refuses this conversation's shape: try the same content conformed
            conformed_steps = (  # made one at a time, only as far as needed
                lambda: conform_messages(messages),
                lambda: fold_system_messages(conform_messages(messages)),
                lambda: conform_messages(fold_system_messages(tool_turns_as_text(messages))),
            )
            for conformed in (step() for step in conformed_steps):
                try:
                    return self._render_shapes(conformed, variables)
                except TemplateRaised:
                    continue
            raise refused from None

    def _render_shapes(self, messages: Sequence[dict[str, Any]], variables: dict[str, Any]) -> str:
        last_error: Exception | None = None
        for none_content, as_text in ((None, False), ("", False), ("", True)):
            try:
                return self._compiled.render(messages=normalize_messages(messages, none_content, as_text), **variables)
            except TemplateRaised:
                raise
            except jinja2.exceptions.SecurityError as exc:
                raise ChatTemplateError(f"the chat template tried something the sandbox forbids: {exc}") from None
            except Exception as exc:  # noqa: BLE001 - template bugs surface as ChatTemplateError
                last_error = exc
        raise ChatTemplateError(f"the chat template failed to render: {type(last_error).__name__}: {last_error}")

    def __call__(
        self,
        *,
        messages: Sequence[dict[str, Any]],
        functions: list[dict[str, Any]] | None = None,
        function_call: Any = None,
        tools: list[dict[str, Any]] | None = None,
        tool_choice: Any = None,
        **kwargs: Any,
    ) -> ChatFormatterResponse:
        """Render ``messages`` (and ``tools``) with the template; raises ``ChatTemplateError`` naming the problem."""
        prompt = self.render(
            messages, tools=tools, tool_choice=tool_choice, functions=functions, function_call=function_call, **kwargs
        )
        stop = [self.eos_token] if self.eos_token else []
        return ChatFormatterResponse(
            prompt=prompt,
            stop=stop,
            added_special=bool(self.bos_token) and prompt.startswith(self.bos_token),
            tool_syntax=self.tool_syntax,
        )
