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
  llama-server does;
- templates of the legacy functions API (FireFunction) get their ``functions``
  listing, which llama.cpp does not give them (so llama-server's model is
  not told the tools);
- calls whose arguments the tool's schema refuses make the reply text: several
  syntaxes write arguments raw (up to a closing tag), and llama.cpp's grammar
  then bounds neither their type nor their length.

Templates whose syntax the layer does not know, or that it cannot render, keep
the generic route (:mod:`llama_native.chat.tools`).

Example::

    >>> from llama_native.chat.template_layer import TemplateLayer
    >>> from llama_native.llama_cpp_source import llama_cpp_dir
    >>> qwen3 = (llama_cpp_dir() / "models" / "templates" / "Qwen-Qwen3-0.6B.jinja").read_text()
    >>> layer = TemplateLayer(None, qwen3)
    >>> tools = [{"type": "function", "function": {"name": "add", "parameters": {"type": "object"}}}]
    >>> messages = [{"role": "user", "content": "2+2?"}]
    >>> plan = layer.plan(messages, tools, "required", [tools[0]["function"]], parallel=False)
    >>> plan.format, plan.grammar.lazy, plan.thinking_start, plan.thinking_ends
    ('peg-native', False, '<think>', ['</think>'])
    >>> reply = plan.parse('<think>Add.</think><tool_call>\\n{"name": "add", "arguments": {"a": 2}}\\n</tool_call>')
    >>> reply["reasoning_content"], reply["tool_calls"][0]["function"]
    ('Add.', {'name': 'add', 'arguments': '{"a": 2}'})
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .. import _native
from ..grammar import LlamaGrammar
from .templates import legacy_functions_listing

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
    triggers: list[re.Pattern[str]] = field(default_factory=list)  # what opens a call under "auto"

    def starts_call(self, text: str) -> bool:
        """Whether ``text`` opens a call (a trigger of the lazy grammar matches it)."""
        return any(pattern.search(text) for pattern in self.triggers)

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
        """llama.cpp's ``common_chat_templates_apply`` on an OpenAI-shaped ``request``.

        ``ValueError`` names a problem (a template llama.cpp cannot read, or one that refuses the request).
        """
        templates = self.templates
        if templates is None:
            raise ValueError(f"llama.cpp's chat layer cannot read this template: {self._error}")
        return json.loads(templates.apply(json.dumps(request, ensure_ascii=False)))

    def plan_reasoning(
        self, messages: Sequence[dict[str, Any]], template_kwargs: dict[str, Any] | None = None
    ) -> TemplatePlan | None:
        """Prompt and parser for a plain chat on a template that marks reasoning in a way ours does not read.

        gpt-oss's analysis channel, Command-R's thinking tokens, Seed's, a
        ``<think>`` only the model writes (Kimi K2), ...: llama.cpp's parser
        splits them.  None for templates that mark no reasoning, write
        ``<think>``/``</think>`` themselves (ours splits those), or that the
        layer cannot render.
        """
        if self.templates is None:
            return None
        kwargs = dict(template_kwargs or {})
        request = {
            "messages": _plain_messages(messages),
            "enable_thinking": bool(kwargs.pop("enable_thinking", True)),
            "chat_template_kwargs": kwargs,
        }
        try:
            applied = self.apply(request)
        except ValueError:
            return None
        ends = list(applied["thinking_end_tags"])
        if not ends or (ends == ["</think>"] and "</think>" in self._source):
            return None  # no reasoning, or <think> written by the template itself: ours splits it
        return _plan_of(applied, applied["prompt"], None)

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
        if _READS_FUNCTIONS.search(self._source):
            # templates of the legacy functions API (FireFunction) list the tools from a JSON text variable
            kwargs.setdefault("functions", legacy_functions_listing(tools))
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
            if len(called) != len(tools) or mode == "required" or max_calls > 0:
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
        return _plan_of(constrained, rendered["prompt"], _grammar(constrained, tokenize))


_READS_FUNCTIONS = re.compile(r"\+\s*functions\b|\{\{-?\s*functions\s*-?\}\}")


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
    """:func:`narrowing` with optional call ids left out of forced calls where that can be done, kept otherwise."""
    if calls_only:
        try:
            return narrowing(grammar, parser, calls_only, True, max_calls, lazy)
        except ValueError:
            pass
    return narrowing(grammar, parser, calls_only, False, max_calls, lazy)


def narrowing(grammar: str, parser: str, calls_only: bool, drop_ids: bool, max_calls: int, lazy: bool) -> str:
    """llama.cpp's tool-call ``grammar`` with the rules a narrowing of its ``parser`` changes.

    ``calls_only`` takes out the text a model may write before forced calls;
    ``max_calls`` (0: any number) caps the calls; ``drop_ids`` leaves optional
    call ids out (the client numbers calls; Mistral's ids are raw text a small
    model may never end).  The saved parser has lost
    the tools' JSON schemas, so only the rules narrowing changed are taken
    from its grammar (its other rules stay llama.cpp's, schemas included);
    a changed rule whose schema-free form differs from llama.cpp's raises.
    """
    original = _rules(grammar)
    plain = _rules(_native.narrowed_chat_grammar(parser, False, False, 0, lazy))
    narrowed = _rules(_native.narrowed_chat_grammar(parser, calls_only, drop_ids, max_calls, lazy))
    for name, body in narrowed.items():
        if plain.get(name) == body:
            continue
        if name in original and original[name] != plain.get(name):
            # a rule with a schema in it (llama.cpp's form differs from the saved parser's): take out of
            # llama.cpp's form what narrowing took out of the saved parser's
            original[name] = _with_deletions(original[name], plain[name], body, name)
            continue
        original[name] = body
    return "\n".join(f"{name} ::= {body}" for name, body in original.items()) + "\n"


def _plan_of(applied: dict[str, Any], prompt: str, grammar: LlamaGrammar | None) -> TemplatePlan:
    """A plan from what llama.cpp's layer applied: its parser, stops, markers and (for ``starts_call``) triggers."""
    triggers = []
    for trigger in applied["grammar_triggers"] if grammar is not None else []:
        try:
            word = trigger["type"] == "word"
            triggers.append(re.compile(regex_escape(trigger["value"]) if word else trigger["value"]))
        except re.error:
            pass  # an ECMAScript-only pattern: the grammar still triggers on it
    return TemplatePlan(
        prompt=prompt,
        format=applied["format"],
        grammar=grammar,
        stops=list(applied["additional_stops"]),
        generation_prompt=applied["generation_prompt"],
        thinking_start=applied["thinking_start_tag"],
        thinking_ends=list(applied["thinking_end_tags"]),
        parser=_native.ChatParser(applied["format_id"], applied["parser"], applied["generation_prompt"], "auto", True),
        triggers=triggers,
    )


def _with_deletions(target: str, before: str, after: str, name: str) -> str:
    """``target`` less the parts ``before`` lost to become ``after`` (each must occur once in ``target``)."""
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for tag, i1, i2, _, _ in matcher.get_opcodes():
        if tag == "equal":
            continue
        if tag != "delete" or target.count(before[i1:i2]) != 1:
            raise ValueError(f"cannot narrow the tool-call grammar: rule {name!r} depends on a schema")
    for tag, i1, i2, _, _ in matcher.get_opcodes():
        if tag == "delete":
            target = target.replace(before[i1:i2], "", 1)
    return target


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
