"""Phase two of conversion: the typed nodes of :mod:`.nodes` written as GBNF rules.

Each node becomes one rule named after where it sits (``root-value-name``,
``root-value-tags-item``), so a grammar reads like its schema.  The
emitters decide nothing about meaning (:mod:`.normalize` did); each one is
documented by an input schema and the GBNF it produces, as written by
:func:`example`, which shows the rules of the compact grammar less the
built-in ones.
"""

from __future__ import annotations

import json
import re
from typing import Any

from .gbnf import complement, json_literal, json_string_chars, literal, normalize_ranges, repetition
from .gbnf_rewrite import split_large_repetitions
from .int_ranges import int_range_rule
from .json_rules import (
    CLOSER_SPACE_MODES,
    FORMAT_RULES,
    KEY_SPACE_MODES,
    PRIMITIVE_DEPS,
    PRIMITIVE_RULES,
    SPACE_RULES,
    TRAILING_SPACE_MODES,
)
from .nodes import (
    Alternatives,
    AnyValue,
    ArrayType,
    BooleanType,
    Definition,
    IntegerType,
    Literals,
    Node,
    NormalizedSchema,
    NullType,
    NumberType,
    ObjectType,
    Ref,
    StringType,
)
from .regex import pattern_to_gbnf, pattern_with_length

_QUOTE = '"\\""'


def emit_gbnf(schema: NormalizedSchema, whitespace: str, trailing_space: bool = True) -> str:
    """The GBNF text of a normalised schema, its start rule ``root`` first.

    Whitespace after the whole value only in :data:`TRAILING_SPACE_MODES` and with ``trailing_space``.
    """
    emitter = GbnfEmitter(schema.definitions, whitespace)
    root = emitter.rule(schema.root, "root-value")
    emitter.primitive("space")
    emitter.rules.pop("root")
    if whitespace not in TRAILING_SPACE_MODES or not trailing_space:
        root = _without_trailing_space(root, emitter.rules)
    rules = split_large_repetitions({"root": root, **emitter.rules})
    return "".join(f"{name} ::= {body}\n" for name, body in rules.items())


def example(schema: object) -> None:
    """Print the rules the compact grammar of ``schema`` adds to the built-in ones (for the docs)."""
    from .normalize import normalize_schema

    for line in emit_gbnf(normalize_schema(schema), "compact").splitlines():
        name = line.split(" ::= ")[0]
        if name not in PRIMITIVE_RULES and name != "space":
            print(line)


class GbnfEmitter:
    """Writes rules for nodes; use :func:`emit_gbnf` rather than this class directly."""

    def __init__(self, definitions: dict[str, Definition], whitespace: str) -> None:
        self.definitions = definitions
        self.whitespace = whitespace
        self.rules: dict[str, str] = {"root": "<reserved>"}  # the start rule, written last
        self.ref_rules: dict[str, str] = {}

    def add_rule(self, name: str, body: str) -> str:
        """Add a rule under a name derived from ``name`` (suffixed when taken by another body); return the name."""
        key = re.sub(r"[^a-zA-Z0-9-]+", "-", name).strip("-") or "rule"
        if key[0].isdigit():
            key = "r" + key
        if key in self.rules and self.rules[key] != body:
            i = 1
            while f"{key}{i}" in self.rules and self.rules[f"{key}{i}"] != body:
                i += 1
            key = f"{key}{i}"
        self.rules[key] = body
        return key

    def primitive(self, name: str) -> str:
        """The rule of a built-in JSON primitive (and those it needs); return its name."""
        if name == "space":
            self.rules["space"] = SPACE_RULES[self.whitespace]
            return "space"
        if name not in self.rules:
            self.rules[name] = PRIMITIVE_RULES[name]
            if self.whitespace in CLOSER_SPACE_MODES and name in ("object", "array"):
                self.rules[name] = self.rules[name].replace(' "}"', ' space "}"').replace(' "]"', ' space "]"')
            for dep in PRIMITIVE_DEPS.get(name, ()):
                self.primitive(dep)
        return name

    def key(self, literal_key: str) -> str:
        """A declared key and what may stand before its ``":"`` (whitespace only in :data:`KEY_SPACE_MODES`)."""
        return f"{literal_key} {self.primitive('space')}" if self.whitespace in KEY_SPACE_MODES else literal_key

    def close(self, bracket: str) -> str:
        """A closing ``}`` or ``]`` (after whitespace in :data:`CLOSER_SPACE_MODES`, as llama.cpp writes it)."""
        closing = literal(bracket)
        return f"{self.primitive('space')} {closing}" if self.whitespace in CLOSER_SPACE_MODES else closing

    def rule(self, node: Node, name: str) -> str:
        """The name of a rule for ``node`` (a new rule called after ``name``, or a shared one)."""
        if isinstance(node, AnyValue):
            return self.primitive("value")
        if isinstance(node, Ref):
            return self.ref(node)
        return self.add_rule(name, self.body(node, name))

    def body(self, node: Node, name: str) -> str:
        """The GBNF expression of ``node``; ``name`` prefixes the rules of its parts."""
        match node:
            case AnyValue():
                return self.primitive("value")
            case Ref():
                return self.ref(node)
            case Literals():
                return self.literals(node)
            case BooleanType():
                return self.primitive("boolean")
            case NullType():
                return self.primitive("null")
            case IntegerType():
                return self.integer(node)
            case NumberType():
                return self.number(node)
            case StringType():
                return self.string(node, name)
            case ArrayType():
                return self.array(node, name)
            case ObjectType():
                return self.object(node, name)
            case Alternatives():
                return " | ".join(self.rule(alt, f"{name}-{label}") for label, alt in node.alternatives)
        raise TypeError(f"not a schema node: {node!r}")

    def ref(self, node: Ref) -> str:
        """The rule of a ``$ref`` target, written once (its name reserved first, so it may recurse).

        >>> example({"anyOf": [{"type": "null"}, {"$ref": "#/$defs/flag"}], "$defs": {"flag": {"type": "boolean"}}})
        root ::= ("null") | (("true" | "false"))
        root-value-0 ::= null
        flag ::= boolean
        root-value ::= root-value-0 | flag
        """
        if node.key not in self.ref_rules:
            definition = self.definitions[node.key]
            assert definition.node is not None, "a definition is complete before emission"
            rule_name = self.ref_rules[node.key] = self.add_rule(definition.name, "")
            self.rules[rule_name] = self.body(definition.node, rule_name)
        return self.ref_rules[node.key]

    def literals(self, node: Literals) -> str:
        """One of the listed values (an integral number as an integer: ``3.0`` is written ``3``).

        >>> example({"enum": ["red", 3, None]})
        root ::= ("\\"red\\"" | "3" | "null")
        root-value ::= ("\\"red\\"" | "3" | "null") space
        """
        space = self.primitive("space")
        return "(" + " | ".join(self.literal(v) for v in node.values) + f") {space}"

    def literal(self, value: Any) -> str:
        """One JSON value, with whitespace where the mode allows it.

        An object's keys may come in any order (each member once, so the
        count is exact; the end check refuses a repeated key).  An array
        keeps its order:

        >>> example({"enum": [[1, "x"]]})
        root ::= ("[" space "1" space "," space "\\"x\\"" space "]")
        root-value ::= ("[" space "1" space "," space "\\"x\\"" space "]") space
        """
        space = self.primitive("space")
        if isinstance(value, list):
            items = f' "," {space} '.join(f"{self.literal(v)} {space}" for v in value)
            return f'"[" {space} {items} "]"' if items else f'"[" {space} "]"'
        if isinstance(value, dict):
            members = [f'{json_literal(k)} ":" {space} {self.literal(v)} {space}' for k, v in value.items()]
            if len(members) <= 1:
                return f'"{{" {space} {members[0]} "}}"' if members else f'"{{" {space} "}}"'
            member = "(" + " | ".join(members) + ")"
            return f'"{{" {space} {member} ("," {space} {member}){{{len(members) - 1}}} "}}"'
        return json_literal(value)

    def integer(self, node: IntegerType) -> str:
        """An integer within its bounds, digit by digit (llama.cpp's construction).

        >>> example({"type": "integer", "minimum": -1, "maximum": 12})
        root ::= ("-" ([0-1]) | [0-9] | "1" [0-2])
        root-value ::= ("-" ([0-1]) | [0-9] | "1" [0-2]) space
        """
        space = self.primitive("space")
        if node.minimum is None and node.maximum is None:
            return self.primitive("integer")
        return f"({int_range_rule(node.minimum, node.maximum)}) {space}"

    def number(self, node: NumberType) -> str:
        """A number; without the minus sign when it cannot be negative.

        >>> example({"type": "number", "minimum": 0})
        root ::= (integral-part ("." decimal-part)? exponent? | [1-9] ("." decimal-part)? large-exponent)
        root-value ::= (integral-part ("." decimal-part)? exponent? | [1-9] ("." decimal-part)? large-exponent) space
        """
        self.primitive("number")
        if node.non_negative:
            unsigned = '(integral-part ("." decimal-part)? exponent? | [1-9] ("." decimal-part)? large-exponent)'
            return f"{unsigned} {self.primitive('space')}"
        return "number"

    def string(self, node: StringType, name: str) -> str:
        """A string: its pattern (with length when combined), its format, or characters within length bounds.

        >>> example({"type": "string", "format": "uuid"})
        root ::= "\\"" uuid-format "\\""
        uuid-format ::= [0-9a-fA-F]{8} "-" [0-9a-fA-F]{4} "-" [0-9a-fA-F]{4} "-" [0-9a-fA-F]{4} "-" [0-9a-fA-F]{12}
        root-value ::= "\\"" uuid-format "\\"" space
        >>> example({"type": "string", "minLength": 1, "maxLength": 3})
        root ::= "\\"" char{1,3} "\\""
        root-value ::= "\\"" char{1,3} "\\"" space
        """
        space = self.primitive("space")
        if node.pattern is not None:
            if node.min_length or node.max_length is not None:
                body = pattern_with_length(node.pattern, node.min_length, node.max_length)
                assert body is not None, "the normaliser keeps only lengths a pattern combines with"
            else:
                body = pattern_to_gbnf(node.pattern)[0]
            return f"{_QUOTE} {self.add_rule(name + '-pattern', body)} {_QUOTE} {space}"
        if node.format is not None:
            body = FORMAT_RULES[node.format]
            if re.search(r"\bchar\b", body):
                self.primitive("char")
            rule = self.add_rule(f"{node.format}-format", body)
            return f"{_QUOTE} {rule} {_QUOTE} {space}"
        chars = repetition(self.primitive("char"), node.min_length, node.max_length)
        return f"{_QUOTE} {chars} {_QUOTE} {space}".replace("  ", " ")

    def array(self, node: ArrayType, name: str) -> str:
        """Prefix items in order (present only if those before are), then items within the count bounds.

        >>> example({"type": "array", "prefixItems": [{"type": "boolean"}], "items": {"type": "null"},
        ...          "minItems": 1, "maxItems": 3})
        root ::= "[" space root-value-0 ("," space root-value-item){0,2} "]"
        root-value-0 ::= boolean
        root-value-item ::= null
        root-value ::= "[" space root-value-0 ("," space root-value-item){0,2} "]" space
        """
        space = self.primitive("space")
        prefix = [self.rule(p, f"{name}-{i}") for i, p in enumerate(node.prefix)]
        item = None if node.items is None else self.rule(node.items, f"{name}-item")
        sep = f'"," {space}'

        def tail(first: bool) -> str:
            if item is None:
                return ""
            lo = max(node.min_items - len(prefix), 0)
            hi = None if node.max_items is None else max(node.max_items - len(prefix), 0)
            if hi == 0:
                return ""
            return repetition(item, lo, hi, sep) if first else repetition(f"({sep} {item})", lo, hi)

        def prefix_from(i: int) -> str:
            if i == len(prefix):
                return tail(first=(i == 0))
            lead = "" if i == 0 else f"{sep} "
            take = f"{lead}{prefix[i]} {prefix_from(i + 1)}".strip()
            return take if i < node.min_items else f"({take})?"

        return f'"[" {space} {prefix_from(0)} {self.close("]")} {space}'.replace("  ", " ")

    def object(self, node: ObjectType, name: str) -> str:
        """Declared keys in order (optional ones skippable), then extra keys (llama.cpp's placement).

        Extra keys only after the declared ones: offered earlier, a real model
        writes its own keys instead of the schema's (SmolLM2 on open objects:
        21/62 right after, 15/62 between, 1/62 before as well; llama-server
        22/62).  ``key_order="any"`` accepts them anywhere.

        >>> example({"type": "object", "properties": {"a": {"type": "boolean"}, "b": {"type": "null"}},
        ...          "required": ["a"], "additionalProperties": False})
        root ::= "{" space root-value-p0f "}"
        root-value-a ::= boolean
        root-value-a-kv ::= "\\"a\\"" ":" space root-value-a
        root-value-b ::= null
        root-value-b-kv ::= "\\"b\\"" ":" space root-value-b
        root-value-p1 ::= ("," space root-value-b-kv)?
        root-value-p0f ::= root-value-a-kv root-value-p1
        root-value ::= "{" space root-value-p0f "}" space
        """
        space = self.primitive("space")
        kv_rules: list[tuple[str, bool]] = []
        for prop in node.properties:
            value = self.rule(prop.value, f"{name}-{prop.name}")
            kv = self.add_rule(f"{name}-{prop.name}-kv", f'{self.key(json_literal(prop.name))} ":" {space} {value}')
            kv_rules.append((kv, prop.required))
        extra = self.extra_keys(node, name)
        if node.any_order:
            members = [kv for kv, _ in kv_rules] + ([extra] if extra else [])
            if not members:
                return f'"{{" {space} {self.close("}")} {space}'
            member = members[0] if len(members) == 1 else self.add_rule(f"{name}-member", " | ".join(members))
            return f'"{{" {space} ({member} ("," {space} {member})*)? {self.close("}")} {space}'
        # rest(i, first): the properties from i on; `first` = nothing emitted yet.
        memo: dict[tuple[int, bool], str] = {}

        def rest(i: int, first: bool) -> str:
            if (i, first) in memo:
                return memo[(i, first)]
            comma = "" if first else f'"," {space} '
            if i == len(kv_rules):
                body = "" if extra is None else f'({comma}{extra} ("," {space} {extra})*)?'
            else:
                kv, is_required = kv_rules[i]
                take = f"{comma}{kv} {rest(i + 1, False)}".strip()
                if is_required:
                    body = take
                else:
                    skip = rest(i + 1, first)
                    body = f"({take}" + (f" | {skip})" if skip else ")?")
            if body and i < len(kv_rules):
                body = self.add_rule(f"{name}-p{i}{'f' if first else ''}", body)
            memo[(i, first)] = body
            return body

        return f'"{{" {space} {rest(0, True)} {self.close("}")} {space}'.replace("  ", " ")

    def extra_keys(self, node: ObjectType, name: str) -> str | None:
        """The rule of one key-value pair beyond the declared keys (``None`` when none may appear).

        Other keys must differ from the declared ones (a trie of them, see
        :meth:`not_strings`); with no declared key any string is a key:

        >>> example({"type": "object", "properties": {}, "additionalProperties": {"type": "boolean"}})
        root ::= "{" space (root-value-additional-kv ("," space root-value-additional-kv)*)? "}"
        root-value-additional-value ::= boolean
        root-value-additional-kv ::= string ":" space root-value-additional-value
        root-value ::= "{" space (root-value-additional-kv ("," space root-value-additional-kv)*)? "}" space
        """
        space = self.primitive("space")
        alternatives: list[str] = []
        for i, by_pattern in enumerate(node.pattern_properties):
            if by_pattern.key_pattern is None:
                key = self.primitive("string")
            else:
                chars = self.add_rule(f"{name}-pattern-key{i}-chars", pattern_to_gbnf(by_pattern.key_pattern)[0])
                key = self.add_rule(f"{name}-pattern-key{i}", f"{_QUOTE} {chars} {_QUOTE} {space}")
            value = self.rule(by_pattern.value, f"{name}-pattern{i}-value")
            alternatives.append(self.add_rule(f"{name}-pattern{i}-kv", f'{key} ":" {space} {value}'))
        if node.additional is not None:
            value = self.rule(node.additional, f"{name}-additional-value")
            key = self.not_strings(node.excluded_keys) if node.excluded_keys else self.primitive("string")
            alternatives.append(self.add_rule(f"{name}-additional-kv", f'{key} ":" {space} {value}'))
        if not alternatives:
            return None
        if len(alternatives) == 1:
            return alternatives[0]
        return self.add_rule(f"{name}-extra-kv", " | ".join(alternatives))

    def not_strings(self, strings: list[str]) -> str:
        """A JSON string (key) that is none of ``strings`` (llama.cpp's trie construction)."""
        char = self.primitive("char")
        trie: dict[str, Any] = {}
        for s in strings:
            node = trie
            for ch in s:
                node = node.setdefault(ch, {})
            node[""] = True  # end marker

        def visit(node: dict[str, Any]) -> str:
            alternatives = []
            rejects = []
            for ch, child in node.items():
                if ch == "":
                    continue
                rejects.append(ch)
                lit = json.dumps(ch, ensure_ascii=False)[1:-1]
                if any(k != "" for k in child):
                    sub = visit(child)
                    alternatives.append(f"{literal(lit)} ({sub})" if child.get("") else f"{literal(lit)} ({sub})?")
                else:
                    alternatives.append(f"{literal(lit)} {char}+")
            first_other = json_string_chars(complement(normalize_ranges([(ord(c), ord(c)) for c in rejects])))
            alternatives.append(f"{first_other} {char}*")
            return " | ".join(alternatives)

        optional = "" if trie.get("") else "?"
        space = self.primitive("space")
        return self.add_rule("key-not-declared", f"{_QUOTE} ({visit(trie)}){optional} {_QUOTE} {space}")


_RULE_NAME = re.compile(r"[a-zA-Z0-9-]+")
_TRAILING_SPACE = re.compile(r"\s+space$")


def _without_trailing_space(body: str, rules: dict[str, str], depth: int = 0) -> str:
    """The top-level value's body without the whitespace every value rule ends with.

    Inside a document whitespace may follow a value (before ``,`` or a
    closing bracket); after the whole document it would only let a model
    pad its reply with newlines and tabs before it ends.  Rules referenced
    elsewhere keep their trailing ``space``: the root gets its own copy.
    """
    if depth > 8:
        return body
    if _RULE_NAME.fullmatch(body) and body in rules:
        return _without_trailing_space(rules[body], rules, depth + 1)
    if _TRAILING_SPACE.search(body):
        return _TRAILING_SPACE.sub("", body)
    alternatives = [a.strip() for a in body.split(" | ")]
    if len(alternatives) > 1 and all(_RULE_NAME.fullmatch(a) and a in rules for a in alternatives):
        return " | ".join(f"({_without_trailing_space(a, rules, depth + 1)})" for a in alternatives)
    return body
