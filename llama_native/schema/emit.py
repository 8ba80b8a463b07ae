"""Phase two of conversion: the typed nodes of :mod:`.nodes` written as rules.

Each rule body is an expression tree (:mod:`.gexpr`), printed as the GBNF
shown below and, for llguidance, as its Lark (:mod:`.lark`): one compile
step for both engines.

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

from .gbnf import complement, json_literal, json_string_chars, literal, normalize_ranges
from .gbnf_rewrite import split_large_repetitions
from .gexpr import EMPTY, Alt, Expr, Group, Lit, Rep, Seq, gbnf, is_empty, repetition, seq
from .gexpr import Ref as RuleRef
from .int_ranges import int_range
from .json_rules import (
    CLOSER_SPACE_MODES,
    CLOSER_SPACE_TREES,
    FORMAT_DEPS,
    FORMAT_TREES,
    KEY_SPACE_MODES,
    PRIMITIVE_DEPS,
    PRIMITIVE_RULES,
    PRIMITIVE_TREES,
    SPACE_TREES,
    TRAILING_SPACE_MODES,
    UNSIGNED_NUMBER,
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
from .regex import pattern_expr, pattern_with_length

_QUOTE = Lit('"\\""')
_COMMA = Lit('","')
_COLON = Lit('":"')


def emit_rules(schema: NormalizedSchema, whitespace: str, trailing_space: bool = True) -> dict[str, Expr]:
    """The rules of a normalised schema as expression trees, its start rule ``root`` first.

    :func:`rules_gbnf` prints them for llama.cpp, :func:`.lark.rules_to_lark` for llguidance.
    Whitespace after the whole value only in :data:`TRAILING_SPACE_MODES` and with ``trailing_space``.
    """
    emitter = GbnfEmitter(schema.definitions, whitespace)
    root: Expr = RuleRef(emitter.rule(schema.root, "root-value"))
    emitter.primitive("space")
    emitter.rules.pop("root")
    if whitespace not in TRAILING_SPACE_MODES or not trailing_space:
        root = _without_trailing_space(root, emitter.rules)
    return {"root": root, **emitter.rules}


def rules_gbnf(rules: dict[str, Expr]) -> str:
    """The GBNF text of :func:`emit_rules`'s rules (large repetitions split for llama.cpp's parser)."""
    split = split_large_repetitions({name: gbnf(body) for name, body in rules.items()})
    return "".join(f"{name} ::= {body}\n" for name, body in split.items())


def emit_gbnf(schema: NormalizedSchema, whitespace: str, trailing_space: bool = True) -> str:
    """The GBNF text of a normalised schema, its start rule ``root`` first (see :func:`emit_rules`)."""
    return rules_gbnf(emit_rules(schema, whitespace, trailing_space))


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
        self.rules: dict[str, Expr] = {"root": _RESERVED}  # the start rule, written last
        self.ref_rules: dict[str, str] = {}

    def add_rule(self, name: str, body: Expr) -> str:
        """Add a rule under a name derived from ``name`` (suffixed when taken by another body); return the name."""
        key = re.sub(r"[^a-zA-Z0-9-]+", "-", name).strip("-") or "rule"
        if key[0].isdigit():
            key = "r" + key
        text = body.text  # rules are shared when their text is the same
        rules = self.rules
        if key in rules and rules[key].text != text:
            i = 1
            while f"{key}{i}" in rules and rules[f"{key}{i}"].text != text:
                i += 1
            key = f"{key}{i}"
        self.rules[key] = body
        return key

    def primitive(self, name: str) -> str:
        """The rule of a built-in JSON primitive (and those it needs); return its name."""
        if name == "space":
            self.rules["space"] = SPACE_TREES[self.whitespace]
            return "space"
        if name not in self.rules:
            closer_space = self.whitespace in CLOSER_SPACE_MODES and name in CLOSER_SPACE_TREES
            self.rules[name] = (CLOSER_SPACE_TREES if closer_space else PRIMITIVE_TREES)[name]
            for dep in PRIMITIVE_DEPS.get(name, ()):
                self.primitive(dep)
        return name

    def key(self, literal_key: str) -> Expr:
        """A declared key and what may stand before its ``":"`` (whitespace only in :data:`KEY_SPACE_MODES`)."""
        if self.whitespace in KEY_SPACE_MODES:
            return seq(Lit(literal_key), RuleRef(self.primitive("space")))
        return Lit(literal_key)

    def close(self, bracket: str) -> Expr:
        """A closing ``}`` or ``]`` (after whitespace in :data:`CLOSER_SPACE_MODES`, as llama.cpp writes it)."""
        closing = Lit(literal(bracket))
        return seq(RuleRef(self.primitive("space")), closing) if self.whitespace in CLOSER_SPACE_MODES else closing

    def rule(self, node: Node, name: str) -> str:
        """The name of a rule for ``node`` (a new rule called after ``name``, or a shared one)."""
        if isinstance(node, AnyValue):
            return self.primitive("value")
        if isinstance(node, Ref):
            return self.ref(node)
        return self.add_rule(name, self.body(node, name))

    def body(self, node: Node, name: str) -> Expr:
        """The expression of ``node``; ``name`` prefixes the rules of its parts."""
        match node:
            case AnyValue():
                return RuleRef(self.primitive("value"))
            case Ref():
                return RuleRef(self.ref(node))
            case Literals():
                return self.literals(node)
            case BooleanType():
                return RuleRef(self.primitive("boolean"))
            case NullType():
                return RuleRef(self.primitive("null"))
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
                return Alt(tuple(RuleRef(self.rule(alt, f"{name}-{label}")) for label, alt in node.alternatives))
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
            rule_name = self.ref_rules[node.key] = self.add_rule(definition.name, EMPTY)
            self.rules[rule_name] = self.body(definition.node, rule_name)
        return self.ref_rules[node.key]

    def literals(self, node: Literals) -> Expr:
        """One of the listed values (an integral number as an integer: ``3.0`` is written ``3``).

        >>> example({"enum": ["red", 3, None]})
        root ::= ("\\"red\\"" | "3" | "null")
        root-value ::= ("\\"red\\"" | "3" | "null") space
        """
        space = RuleRef(self.primitive("space"))
        return seq(Group(Alt(tuple(self.literal(v) for v in node.values))), space)

    def literal(self, value: Any) -> Expr:
        """One JSON value, with whitespace where the mode allows it.

        An object's keys may come in any order (each member once, so the
        count is exact; the end check refuses a repeated key).  An array
        keeps its order:

        >>> example({"enum": [[1, "x"]]})
        root ::= ("[" space "1" space "," space "\\"x\\"" space "]")
        root-value ::= ("[" space "1" space "," space "\\"x\\"" space "]") space
        """
        space = RuleRef(self.primitive("space"))
        if isinstance(value, list):
            comma: tuple[Expr, ...] = (_COMMA, space)
            items = [seq(*(comma if i else ()), self.literal(v), space) for i, v in enumerate(value)]
            return seq(Lit('"["'), space, *items, Lit('"]"'))
        if isinstance(value, dict):
            members = [seq(Lit(json_literal(k)), _COLON, space, self.literal(v), space) for k, v in value.items()]
            if len(members) <= 1:
                return seq(Lit('"{"'), space, *members, Lit('"}"'))
            member = Group(Alt(tuple(members)))
            return seq(Lit('"{"'), space, member, Rep(Group(seq(_COMMA, space, member)), len(members) - 1,
                                                      len(members) - 1), Lit('"}"'))  # fmt: skip
        return Lit(json_literal(value))

    def integer(self, node: IntegerType) -> Expr:
        """An integer within its bounds, digit by digit (llama.cpp's construction).

        >>> example({"type": "integer", "minimum": -1, "maximum": 12})
        root ::= ("-" ([0-1]) | [0-9] | "1" [0-2])
        root-value ::= ("-" ([0-1]) | [0-9] | "1" [0-2]) space
        """
        space = RuleRef(self.primitive("space"))
        if node.minimum is None and node.maximum is None:
            return RuleRef(self.primitive("integer"))
        return seq(Group(int_range(node.minimum, node.maximum)), space)

    def number(self, node: NumberType) -> Expr:
        """A number; without the minus sign when it cannot be negative.

        >>> example({"type": "number", "minimum": 0})
        root ::= (integral-part ("." decimal-part)? exponent? | [1-9] ("." decimal-part)? large-exponent)
        root-value ::= (integral-part ("." decimal-part)? exponent? | [1-9] ("." decimal-part)? large-exponent) space
        """
        self.primitive("number")
        if node.non_negative:
            return seq(UNSIGNED_NUMBER, RuleRef(self.primitive("space")))
        return RuleRef("number")

    def string(self, node: StringType, name: str) -> Expr:
        """A string: its pattern (with length when combined), its format, or characters within length bounds.

        >>> example({"type": "string", "format": "uuid"})
        root ::= "\\"" uuid-format "\\""
        uuid-format ::= [0-9a-fA-F]{8} "-" [0-9a-fA-F]{4} "-" [0-9a-fA-F]{4} "-" [0-9a-fA-F]{4} "-" [0-9a-fA-F]{12}
        root-value ::= "\\"" uuid-format "\\"" space
        >>> example({"type": "string", "minLength": 1, "maxLength": 3})
        root ::= "\\"" char{1,3} "\\""
        root-value ::= "\\"" char{1,3} "\\"" space
        """
        space = RuleRef(self.primitive("space"))
        if node.pattern is not None:
            if node.min_length or node.max_length is not None:
                body = pattern_with_length(node.pattern, node.min_length, node.max_length)
                assert body is not None, "the normaliser keeps only lengths a pattern combines with"
            else:
                body = pattern_expr(node.pattern)[0]
            return seq(_QUOTE, RuleRef(self.add_rule(name + "-pattern", body)), _QUOTE, space)
        if node.format is not None:
            for dep in FORMAT_DEPS.get(node.format, ()):
                self.primitive(dep)
            rule = self.add_rule(f"{node.format}-format", FORMAT_TREES[node.format])
            return seq(_QUOTE, RuleRef(rule), _QUOTE, space)
        chars = repetition(RuleRef(self.primitive("char")), node.min_length, node.max_length)
        return seq(_QUOTE, chars, _QUOTE, space)

    def array(self, node: ArrayType, name: str) -> Expr:
        """Prefix items in order (present only if those before are), then items within the count bounds.

        >>> example({"type": "array", "prefixItems": [{"type": "boolean"}], "items": {"type": "null"},
        ...          "minItems": 1, "maxItems": 3})
        root ::= "[" space root-value-0 ("," space root-value-item){0,2} "]"
        root-value-0 ::= boolean
        root-value-item ::= null
        root-value ::= "[" space root-value-0 ("," space root-value-item){0,2} "]" space
        """
        space = RuleRef(self.primitive("space"))
        prefix = [RuleRef(self.rule(p, f"{name}-{i}")) for i, p in enumerate(node.prefix)]
        item = None if node.items is None else RuleRef(self.rule(node.items, f"{name}-item"))
        sep = seq(_COMMA, space)

        def tail(first: bool) -> Expr:
            if item is None:
                return EMPTY
            lo = max(node.min_items - len(prefix), 0)
            hi = None if node.max_items is None else max(node.max_items - len(prefix), 0)
            if hi == 0:
                return EMPTY
            return repetition(item, lo, hi, sep) if first else repetition(Group(seq(sep, item)), lo, hi)

        def prefix_from(i: int) -> Expr:
            if i == len(prefix):
                return tail(first=(i == 0))
            take = seq(*([sep] if i else []), prefix[i], prefix_from(i + 1))
            return take if i < node.min_items else Rep(Group(take), 0, 1)

        return seq(Lit('"["'), space, prefix_from(0), self.close("]"), space)

    def object(self, node: ObjectType, name: str) -> Expr:
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
        space = RuleRef(self.primitive("space"))
        kv_rules: list[tuple[RuleRef, bool]] = []
        for prop in node.properties:
            value = RuleRef(self.rule(prop.value, f"{name}-{prop.name}"))
            kv = self.add_rule(f"{name}-{prop.name}-kv", seq(self.key(json_literal(prop.name)), _COLON, space, value))
            kv_rules.append((RuleRef(kv), prop.required))
        extra_name = self.extra_keys(node, name)
        extra = None if extra_name is None else RuleRef(extra_name)
        if node.any_order:
            members = [kv for kv, _ in kv_rules] + ([extra] if extra else [])
            if not members:
                return seq(Lit('"{"'), space, self.close("}"), space)
            member = members[0] if len(members) == 1 else RuleRef(self.add_rule(f"{name}-member", Alt(tuple(members))))
            listed = Rep(Group(seq(member, Rep(Group(seq(_COMMA, space, member)), 0, None))), 0, 1)
            return seq(Lit('"{"'), space, listed, self.close("}"), space)
        # rest(i, first): the properties from i on; `first` = nothing emitted yet.
        memo: dict[tuple[int, bool], Expr] = {}

        def rest(i: int, first: bool) -> Expr:
            if (i, first) in memo:
                return memo[(i, first)]
            comma = () if first else (_COMMA, space)
            body: Expr
            if i == len(kv_rules):
                more = Rep(Group(seq(_COMMA, space, extra)), 0, None) if extra else EMPTY
                body = EMPTY if extra is None else Rep(Group(seq(*comma, extra, more)), 0, 1)
            else:
                kv, is_required = kv_rules[i]
                take = seq(*comma, kv, rest(i + 1, False))
                if is_required:
                    body = take
                else:
                    skip = rest(i + 1, first)
                    body = Rep(Group(take), 0, 1) if is_empty(skip) else Group(Alt((take, skip)))
            if not is_empty(body) and i < len(kv_rules):
                body = RuleRef(self.add_rule(f"{name}-p{i}{'f' if first else ''}", body))
            memo[(i, first)] = body
            return body

        return seq(Lit('"{"'), space, rest(0, True), self.close("}"), space)

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
        space = RuleRef(self.primitive("space"))
        alternatives: list[str] = []
        for i, by_pattern in enumerate(node.pattern_properties):
            if by_pattern.key_pattern is None:
                key = self.primitive("string")
            else:
                chars = pattern_expr(by_pattern.key_pattern)[0]
                chars_rule = RuleRef(self.add_rule(f"{name}-pattern-key{i}-chars", chars))
                key = self.add_rule(f"{name}-pattern-key{i}", seq(_QUOTE, chars_rule, _QUOTE, space))
            value = RuleRef(self.rule(by_pattern.value, f"{name}-pattern{i}-value"))
            alternatives.append(self.add_rule(f"{name}-pattern{i}-kv", seq(RuleRef(key), _COLON, space, value)))
        if node.additional is not None:
            value = RuleRef(self.rule(node.additional, f"{name}-additional-value"))
            key = self.not_strings(node.excluded_keys) if node.excluded_keys else self.primitive("string")
            alternatives.append(self.add_rule(f"{name}-additional-kv", seq(RuleRef(key), _COLON, space, value)))
        if not alternatives:
            return None
        if len(alternatives) == 1:
            return alternatives[0]
        return self.add_rule(f"{name}-extra-kv", Alt(tuple(RuleRef(a) for a in alternatives)))

    def not_strings(self, strings: list[str]) -> str:
        """A JSON string (key) that is none of ``strings`` (llama.cpp's trie construction)."""
        char = RuleRef(self.primitive("char"))
        trie: dict[str, Any] = {}
        for s in strings:
            node = trie
            for ch in s:
                node = node.setdefault(ch, {})
            node[""] = True  # end marker

        def visit(node: dict[str, Any]) -> Alt:
            alternatives: list[Expr] = []
            rejects = []
            for ch, child in node.items():
                if ch == "":
                    continue
                rejects.append(ch)
                lit = Lit(literal(json.dumps(ch, ensure_ascii=False)[1:-1]))
                if any(k != "" for k in child):
                    sub = Group(visit(child))
                    alternatives.append(seq(lit, sub if child.get("") else Rep(sub, 0, 1)))
                else:
                    alternatives.append(seq(lit, Rep(char, 1, None)))
            first_other = json_string_chars(complement(normalize_ranges([(ord(c), ord(c)) for c in rejects])))
            if first_other is not None:
                alternatives.append(seq(first_other, Rep(char, 0, None)))
            return Alt(tuple(alternatives))

        keys = Group(visit(trie))
        space = RuleRef(self.primitive("space"))
        return self.add_rule("key-not-declared", seq(_QUOTE, keys if trie.get("") else Rep(keys, 0, 1), _QUOTE, space))


_RESERVED = Lit("<reserved>")


def _without_trailing_space(body: Expr, rules: dict[str, Expr], depth: int = 0) -> Expr:
    """The top-level value's body without the whitespace every value rule ends with.

    Inside a document whitespace may follow a value (before ``,`` or a
    closing bracket); after the whole document it would only let a model
    pad its reply with newlines and tabs before it ends.  Rules referenced
    elsewhere keep their trailing ``space``: the root gets its own copy.
    """
    if depth > 8:
        return body
    if isinstance(body, Alt | Seq) and len([item for item in body.items if not is_empty(item)]) == 1:
        body = next(item for item in body.items if not is_empty(item))  # the same text: one item
    if isinstance(body, RuleRef) and body.name in rules:
        return _without_trailing_space(rules[body.name], rules, depth + 1)
    stripped = _strip_space(body)
    if stripped is not None:
        return stripped
    alternatives = body.items if isinstance(body, Alt) else ()
    if len(alternatives) > 1 and all(isinstance(a, RuleRef) and a.name in rules for a in alternatives):
        return Alt(tuple(Group(_without_trailing_space(a, rules, depth + 1)) for a in alternatives))
    return body


def _strip_space(body: Expr) -> Expr | None:
    """``body`` less the ``space`` it ends with (None when it does not end with one)."""
    if isinstance(body, Seq):
        items = [item for item in body.items if not is_empty(item)]
        if len(items) > 1 and isinstance(items[-1], RuleRef) and items[-1].name == "space":
            return Seq(tuple(items[:-1]))
        last = _strip_space(items[-1]) if len(items) > 1 else None
        return None if last is None else Seq((*items[:-1], last))
    if isinstance(body, Alt) and body.items:
        last = _strip_space(body.items[-1])
        return None if last is None else Alt((*body.items[:-1], last))
    return None
