"""Tool calls for any model: grammars built from the tools' parameter schemas, and parsing.

Each tool-call syntax says how calls are written (and so what the grammar
allows and what the parser reads):

- ``hermes``: ``<tool_call>{"name": ..., "arguments": {...}}</tool_call>``
  (Hermes, Qwen 2.5/3 and every template that uses ``<tool_call>``; also our
  choice for models without a native syntax, told about it in the system prompt);
- ``mistral``: ``[TOOL_CALLS][{"name": ..., "arguments": {...}}, ...]``;
- ``llama3``: ``{"name": ..., "parameters": {...}}`` (Llama 3.1+ JSON calls).

For ``tool_choice="required"`` or a named function the whole output is
constrained; for ``"auto"`` the grammar is lazy: the model may write text, and
once it writes the syntax's opening (the trigger) the rest is constrained.

Example::

    >>> from llama_native.chat.tools import ToolCallFormat
    >>> fmt = ToolCallFormat("hermes")
    >>> fmt.parse('Sure.<tool_call>{"name":"add","arguments":{"a":1}}</tool_call>')
    ('Sure.', [{'name': 'add', 'arguments': {'a': 1}}])
"""

from __future__ import annotations

import json
import re
import secrets
import string
from collections.abc import Callable
from typing import Any

from ..grammar import LlamaGrammar
from ..schema import compile_json_schema
from ..schema.validation import make_validator

TOOL_SYNTAXES = ("hermes", "mistral", "llama3")


def _parameters(function: dict[str, Any]) -> dict[str, Any]:
    params = function.get("parameters")
    if params is None:
        return {"type": "object", "properties": {}}
    return params


def call_validator(functions: list[dict[str, Any]]) -> Callable[[dict[str, Any]], bool]:
    """``valid(call)``: the call names one of ``functions`` and its arguments validate against its parameters."""
    validators = {f["name"]: make_validator(_parameters(f)) for f in functions}
    return lambda call: call["name"] in validators and validators[call["name"]].is_valid(call["arguments"])


def _rewrite_refs(value: Any, prefix: str) -> Any:
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key == "$ref" and isinstance(item, str):
                for section in ("#/$defs/", "#/definitions/"):
                    if item.startswith(section):
                        item = "#/$defs/" + prefix + item[len(section) :]
                        break
                else:
                    if item == "#":
                        item = "#/$defs/" + prefix + "__root"
            out[key] = _rewrite_refs(item, prefix)
        return out
    if isinstance(value, list):
        return [_rewrite_refs(v, prefix) for v in value]
    return value


def hoist_definitions(schemas: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Parameter schemas made embeddable: their ``$defs``/``definitions`` moved to one shared ``$defs``.

    Each tool's definitions get a prefix of their own (two tools may both
    define ``Person``), and its ``$ref`` pointers are rewritten to match.
    """
    shared: dict[str, Any] = {}
    out = []
    for i, schema in enumerate(schemas):
        prefix = f"t{i}_"
        local = {**(schema.get("definitions") or {}), **(schema.get("$defs") or {})}
        body = {k: v for k, v in schema.items() if k not in ("$defs", "definitions")}
        if not local and "#" not in json.dumps(body):
            out.append(body)
            continue
        for name, definition in local.items():
            shared[prefix + name] = _rewrite_refs(definition, prefix)
        body = _rewrite_refs(body, prefix)
        shared[prefix + "__root"] = body
        out.append(body)
    return out, shared


def _call_id(syntax: str) -> str:
    if syntax == "mistral":  # Mistral templates require 9 alphanumeric characters
        return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(9))
    return "call_" + secrets.token_hex(12)


class ToolCallFormat:
    """One tool-call syntax: the grammar for calls to ``functions`` and the parser for its output."""

    def __init__(self, syntax: str) -> None:
        if syntax not in TOOL_SYNTAXES:
            raise ValueError(f"unknown tool-call syntax {syntax!r}; known: {TOOL_SYNTAXES}")
        self.syntax = syntax

    @property
    def arguments_key(self) -> str:
        """The key that holds a call's arguments in this syntax."""
        return "parameters" if self.syntax == "llama3" else "arguments"

    @property
    def trigger(self) -> str:
        """The canonical text that opens a call."""
        return {"hermes": "<tool_call>", "mistral": "[TOOL_CALLS]", "llama3": '{"name":'}[self.syntax]

    @property
    def opening(self) -> str:
        """A regular expression of every opening of a call (it triggers the lazy grammar).

        Llama 3's JSON calls may carry whitespace, ``{ "name": ...``, as the
        arguments' grammar allows.
        """
        if self.syntax == "llama3":
            return r'\{\s*"name"\s*:'
        return re.escape(self.trigger)

    def find_opening(self, text: str, start: int = 0) -> int:
        """Where the first call opens in ``text`` (from ``start``), or -1."""
        match = re.compile(self.opening).search(text, start)
        return match.start() if match else -1

    def held_back(self, text: str) -> int:
        """Length of the longest tail of ``text`` that could still grow into an opening (not streamed yet)."""
        if self.syntax == "llama3":
            match = re.search(r'\{\s*(?:"(?:n(?:a(?:m(?:e(?:"\s*)?)?)?)?)?)?$', text)
            return len(text) - match.start() if match else 0
        trigger = self.trigger
        for k in range(min(len(trigger) - 1, len(text)), 0, -1):
            if text.endswith(trigger[:k]):
                return k
        return 0

    def call_schema(self, functions: list[dict[str, Any]]) -> dict[str, Any]:
        """The JSON schema of one call to any of ``functions`` (name and arguments)."""
        parameters, definitions = hoist_definitions([_parameters(f) for f in functions])
        alternatives = [
            {
                "type": "object",
                "properties": {"name": {"const": f["name"]}, self.arguments_key: params},
                "required": ["name", self.arguments_key],
                "additionalProperties": False,
            }
            for f, params in zip(functions, parameters)
        ]
        schema = alternatives[0] if len(alternatives) == 1 else {"anyOf": alternatives}
        if definitions:
            schema = {**schema, "$defs": definitions}
        return schema

    def grammar(
        self, functions: list[dict[str, Any]], *, lazy: bool, max_calls: int = 1, whitespace: str = "free"
    ) -> LlamaGrammar:
        """The grammar of 1 to ``max_calls`` calls; lazy grammars wait for :attr:`opening`.

        ``max_calls`` bounds how many calls a reply may hold, so a model that
        would repeat calls until ``max_tokens`` has to stop; ``whitespace`` is
        what the arguments' JSON allows between tokens.
        """
        if max_calls < 1:
            raise ValueError(f"max_tool_calls must be at least 1, got {max_calls}")
        compiled = compile_json_schema(
            self.call_schema(functions), additional_properties=False, whitespace=whitespace, compiler="ours"
        )
        rules = compiled.gbnf.replace("root ::=", "tool-call ::=", 1)
        more = f"{{0,{max_calls - 1}}}"
        if self.syntax == "hermes":
            block = '"<tool_call>" "\\n"? tool-call "\\n"? "</tool_call>"'
            top = f"root ::= {block}" + (f' ("\\n"? {block}){more}' if max_calls > 1 else "")
        elif self.syntax == "mistral":
            top = (
                'root ::= "[TOOL_CALLS]" "[" tool-call '
                + (f'("," " "? tool-call){more} ' if max_calls > 1 else "")
                + '"]"'
            )
        else:
            top = "root ::= tool-call" + (f' (";" " "? tool-call){more}' if max_calls > 1 else "")
        end_check = self._arguments_check(functions) if compiled.unenforced else None
        return LlamaGrammar(top + "\n" + rules, trigger_patterns=[self.opening] if lazy else None, end_check=end_check)

    def _arguments_check(self, functions: list[dict[str, Any]]) -> Callable[[str], bool]:
        """``check(text)``: the calls in ``text`` parse and their arguments validate.

        Used for the keywords the grammar relaxes.
        """
        valid = call_validator(functions)

        def check(text: str) -> bool:
            try:
                _, calls = self.parse(text)
            except ValueError:
                return False
            return bool(calls) and all(valid(c) for c in calls)

        return check

    def parse(self, text: str, *, complete_only: bool = False) -> tuple[str, list[dict[str, Any]]]:
        """``(content before the calls, [{"name", "arguments"}])``; no opening means no calls.

        A call that does not parse raises ``ValueError``; with
        ``complete_only`` (a generation cut by ``max_tokens``) the calls
        before it are returned and the unfinished tail is dropped.
        """
        start = self.find_opening(text)
        if start < 0:
            return text, []
        content, rest = text[:start], text[start:]
        decoder = json.JSONDecoder()
        calls: list[Any] = []
        try:
            if self.syntax == "hermes":
                for match in re.finditer(r"<tool_call>\s*", rest):
                    value, _ = decoder.raw_decode(rest, match.end())
                    calls.append(value)
            elif self.syntax == "mistral":
                body = rest[len(self.trigger) :].lstrip()  # the opening is literal here
                if complete_only and body.startswith("["):
                    pos = 1
                    while True:  # the list's elements one by one: those before the cut are whole
                        while pos < len(body) and body[pos] in ", \n":
                            pos += 1
                        if pos >= len(body) or body[pos] == "]":
                            break
                        value, pos = decoder.raw_decode(body, pos)
                        calls.append(value)
                else:
                    value, _ = decoder.raw_decode(body)
                    calls = value if isinstance(value, list) else [value]
            else:
                pos = 0
                while pos < len(rest):
                    value, end = decoder.raw_decode(rest, pos)
                    calls.append(value)
                    pos = end
                    while pos < len(rest) and rest[pos] in "; \n":
                        pos += 1
        except ValueError:
            if not complete_only:
                raise
        out = []
        for call in calls:
            if not isinstance(call, dict) or "name" not in call:
                raise ValueError(f"not a tool call: {call!r}")
            arguments = call.get(self.arguments_key, call.get("arguments", {}))
            out.append({"name": call["name"], "arguments": arguments})
        return content, out

    def valid_calls(self, calls: list[dict[str, Any]], functions: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The calls that name one of ``functions`` and whose arguments validate against its parameters."""
        valid = call_validator(functions)
        return [c for c in calls if valid(c)]

    def openai_tool_calls(self, calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Parsed calls as OpenAI ``tool_calls`` (arguments as a JSON string, with ids)."""
        return [
            {
                "id": _call_id(self.syntax),
                "type": "function",
                "function": {"name": c["name"], "arguments": json.dumps(c["arguments"], ensure_ascii=False)},
            }
            for c in calls
        ]


def tools_system_prompt(functions: list[dict[str, Any]], fmt: ToolCallFormat, parallel: bool) -> str:
    """Tells a model whose template has no tool support which tools exist and how to call them."""
    listing = "\n".join(
        json.dumps(
            {"name": f["name"], "description": f.get("description", ""), "parameters": _parameters(f)},
            ensure_ascii=False,
        )
        for f in functions
    )
    example = {
        "hermes": '<tool_call>{"name": <function-name>, "arguments": <args-json-object>}</tool_call>',
        "mistral": '[TOOL_CALLS][{"name": <function-name>, "arguments": <args-json-object>}]',
        "llama3": '{"name": <function-name>, "parameters": <args-json-object>}',
    }[fmt.syntax]
    several = " You may call several tools, one after another." if parallel else ""
    return "You can call the following tools:\n" + listing + "\n\nTo call a tool, reply with " + example + "." + several


def choose_syntax(template_syntax: str | None) -> ToolCallFormat:
    """The template's native syntax when we know it, else ours (``hermes``)."""
    return ToolCallFormat(template_syntax if template_syntax in TOOL_SYNTAXES else "hermes")
