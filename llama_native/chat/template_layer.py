"""Each GGUF template's own tool-call syntax, through llama.cpp's chat layer.

For a request with tools, a model's template is handed to llama.cpp's chat
layer (``common/chat.cpp``, bound in ``native/chat_layer.cpp``), the code
llama-server runs.  It renders the conversation with the tools the way the
template itself writes them, says how this template's replies write calls
(hermes ``<tool_call>``, Mistral ``[TOOL_CALLS]``, DeepSeek's, gpt-oss
channels, Kimi, GLM, Qwen3-Coder XML, ... as derived by its auto-parser), and
gives a grammar for calls in that syntax and a parser that reads a reply back
into content, ``reasoning_content`` and ``tool_calls``.

Why llama.cpp's and not a port: llama-server answers the same request with the
same prompt, grammar and parse only if the same code decides them, and the
template families change faster than a port could follow.  What we add:

- a forced choice (``"required"`` or a named tool) allows the template's
  reasoning and then the calls, with no text first (llama.cpp's grammar lets a
  model write text before a forced call, which a small model may never end);
- a named choice renders every tool in the prompt but constrains and parses
  calls to the named one;
- trigger words that are one token of the model become trigger tokens, as
  llama-server does.

Templates whose syntax the layer does not know, or that it cannot render, keep
the generic route (:mod:`llama_native.chat.tools`).

Example::

    >>> from llama_native.chat.template_layer import TemplateLayer
    >>> hermes = (
    ...     "{% for m in messages %}<|im_start|>{{ m.role }}\\n{{ m.content }}<|im_end|>\\n{% endfor %}"
    ...     "{% if tools %}<tools>{{ tools | tojson }}</tools> Call: <tool_call>\\n{...}\\n</tool_call>{% endif %}"
    ...     "{% if add_generation_prompt %}<|im_start|>assistant\\n{% endif %}")
    >>> layer = TemplateLayer(None, hermes)
    >>> tools = [{"type": "function", "function": {"name": "add", "parameters": {"type": "object"}}}]
    >>> plan = layer.plan([{"role": "user", "content": "2+2?"}], tools, "required", tools, parallel=False)
    >>> plan.format, plan.grammar.lazy
    ('peg-native', False)
    >>> plan.parse('<tool_call>\\n{"name": "add", "arguments": {"a": 2}}\\n</tool_call>')["tool_calls"][0]["function"]
    {'name': 'add', 'arguments': '{"a":2}'}
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .. import _native
from ..grammar import LlamaGrammar

#: ``tokenize(text, add_bos, parse_special) -> token ids``
Tokenize = Callable[[bytes, bool, bool], list[int]]

_REGEX_SPECIAL = re.compile(r"([.^$|()*+?\[\]{}\\])")


def regex_escape(text: str) -> str:
    """``text`` as a literal regex, escaped as llama.cpp's ``regex_escape`` does."""
    return _REGEX_SPECIAL.sub(r"\\\1", text)


@dataclass
class TemplatePlan:
    """One request as llama.cpp's chat layer renders and constrains it."""

    prompt: str
    format: str  # llama.cpp's name of the parser family ("peg-native", "peg-gemma4", ...)
    grammar: LlamaGrammar | None
    stops: list[str]
    generation_prompt: str
    thinking_start: str = ""
    thinking_ends: list[str] = field(default_factory=list)
    parser: Any = None  # _native.ChatParser

    def parse(self, text: str, partial: bool = False) -> dict[str, Any]:
        """The assistant message in ``text`` (``ValueError`` when a finished text does not parse)."""
        return json.loads(self.parser.parse(text, partial))


class TemplateLayer:
    """A GGUF chat template as llama.cpp's chat layer reads it (built on first use).

    ``model`` (a ``_native.Model`` or None) supplies BOS/EOS the way
    llama-server's template init takes them.
    """

    def __init__(self, model: Any, source: str, bos: str = "", eos: str = "") -> None:
        self._model = model
        self._source = source
        self._bos, self._eos = bos, eos
        self._templates: Any = None
        self._error: str | None = None

    @property
    def templates(self) -> Any:
        """The native ``ChatTemplates``, or None when llama.cpp's Jinja cannot read the template."""
        if self._templates is None and self._error is None:
            try:
                self._templates = _native.ChatTemplates(self._model, self._source, self._bos, self._eos)
            except ValueError as exc:
                self._error = str(exc)
        return self._templates

    def apply(self, request: dict[str, Any]) -> dict[str, Any]:
        """llama.cpp's ``common_chat_templates_apply`` on an OpenAI-shaped ``request``."""
        return json.loads(self.templates.apply(json.dumps(request, ensure_ascii=False)))

    def plan(
        self,
        messages: Sequence[dict[str, Any]],
        tools: Sequence[dict[str, Any]],
        mode: str,
        called: Sequence[dict[str, Any]],
        *,
        parallel: bool,
        max_calls: int = 0,
        template_kwargs: dict[str, Any] | None = None,
        tokenize: Tokenize | None = None,
    ) -> TemplatePlan | None:
        """Prompt, grammar and parser for a request whose ``mode`` is "auto" or "required".

        ``called`` are the functions a call may name (one for a named choice);
        ``max_calls`` (0: no cap) caps the calls in one reply.
        None when the template has no tool syntax llama.cpp knows (or it
        cannot render it): the caller takes the generic route then.
        """
        if self.templates is None:
            return None
        kwargs = dict(template_kwargs or {})
        request: dict[str, Any] = {
            "messages": _plain_messages(messages),
            "tools": list(tools),
            "tool_choice": mode,
            "parallel_tool_calls": parallel and max_calls != 1,
            "enable_thinking": bool(kwargs.pop("enable_thinking", True)),
            "chat_template_kwargs": kwargs,
        }
        try:
            rendered = self.apply(request)
            constrained = rendered
            if len(called) != len(tools) or mode == "required" or max_calls > 1:
                # a named choice constrains and parses calls to that tool only; a forced one, calls only
                only = [{"type": "function", "function": f} for f in called]
                constrained = self.apply(dict(request, tools=only))
                if constrained["grammar"] and constrained["parser"]:
                    constrained["grammar"] = narrowed_grammar(
                        constrained["grammar"], constrained["parser"], mode == "required", max(max_calls, 0),
                        constrained["grammar_lazy"],
                    )
        except ValueError:
            return None
        if not constrained["grammar"]:
            return None  # no tool syntax for this template (or none llama.cpp can constrain)
        grammar = _grammar(constrained, tokenize)
        parser = _native.ChatParser(
            constrained["format_id"], constrained["parser"], constrained["generation_prompt"], "auto", True
        )
        return TemplatePlan(
            prompt=rendered["prompt"],
            format=constrained["format"],
            grammar=grammar,
            stops=list(constrained["additional_stops"]),
            generation_prompt=constrained["generation_prompt"],
            thinking_start=constrained["thinking_start_tag"],
            thinking_ends=list(constrained["thinking_end_tags"]),
            parser=parser,
        )


_RULE = re.compile(r"^([A-Za-z0-9_-]+) ::= (.*)$")


def _rules(grammar: str) -> dict[str, str]:
    rules: dict[str, str] = {}
    for line in grammar.splitlines():
        match = _RULE.match(line)
        if match is None:
            if line.strip():
                raise ValueError(f"unexpected grammar line {line!r}")
            continue
        rules[match.group(1)] = match.group(2)
    return rules


def narrowed_grammar(grammar: str, parser: str, calls_only: bool, max_calls: int, lazy: bool) -> str:
    """llama.cpp's tool-call ``grammar`` with the rules a narrowing of its ``parser`` changes.

    ``calls_only`` takes out the text a model may write before forced calls;
    ``max_calls`` (0: any number) caps the calls.  The saved parser has lost
    the tools' JSON schemas, so only the rules narrowing changed are taken
    from its grammar (its other rules stay llama.cpp's, schemas included);
    a changed rule whose schema-free form differs from llama.cpp's raises.
    """
    if not calls_only and max_calls <= 0:
        return grammar
    original = _rules(grammar)
    plain = _rules(_native.narrowed_chat_grammar(parser, False, 0, lazy))
    narrowed = _rules(_native.narrowed_chat_grammar(parser, calls_only, max_calls, lazy))
    for name, body in narrowed.items():
        if plain.get(name) == body:
            continue
        if name in original and original[name] != plain.get(name):
            raise ValueError(f"cannot narrow the tool-call grammar: rule {name!r} depends on a schema")
        original[name] = body
    return "\n".join(f"{name} ::= {body}" for name, body in original.items()) + "\n"


def _plain_messages(messages: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Messages as llama.cpp's OpenAI reader takes them (tool-call arguments as JSON text)."""
    out = []
    for message in messages:
        m = dict(message)
        if m.get("tool_calls"):
            calls = []
            for call in m["tool_calls"]:
                call = dict(call)
                function = dict(call.get("function") or {})
                if not isinstance(function.get("arguments", ""), str):
                    function["arguments"] = json.dumps(function["arguments"], ensure_ascii=False)
                call["function"] = function
                call.setdefault("type", "function")
                calls.append(call)
            m["tool_calls"] = calls
        out.append(m)
    return out


def _grammar(applied: dict[str, Any], tokenize: Tokenize | None) -> LlamaGrammar:
    """The layer's grammar as a ``LlamaGrammar``: lazy with its triggers, or prefilled with the turn's opening."""
    patterns: list[str] = []
    tokens: list[int] = []
    if applied["grammar_lazy"]:
        for trigger in applied["grammar_triggers"]:
            kind, value = trigger["type"], trigger["value"]
            if kind == "word":
                ids = tokenize(value.encode("utf-8"), False, True) if tokenize is not None else []
                if len(ids) == 1 and value in applied["preserved_tokens"]:
                    tokens.append(ids[0])  # one special token: a token trigger, as llama-server makes it
                else:
                    patterns.append(regex_escape(value))
            elif kind == "pattern":
                patterns.append(value)
            elif kind == "pattern_full":
                patterns.append(("" if value.startswith("^") else "^") + value + ("" if value.endswith("$") else "$"))
            else:
                raise ValueError(f"unknown grammar trigger type {kind!r}")
    grammar = LlamaGrammar(applied["grammar"], trigger_patterns=patterns, trigger_tokens=tokens)
    if not applied["grammar_lazy"]:
        grammar.prefill = applied["generation_prompt"]
    return grammar
