"""llama-cpp-python's ``SchemaConverter``: JSON Schema to GBNF, as its ``llama_grammar`` module converts.

From llama-cpp-python 0.3.36's ``llama_cpp/llama_grammar.py`` (MIT License,
Copyright (c) 2023 Andrei Betlen), a port of llama.cpp's
``examples/json_schema_to_grammar.py`` (MIT License, The ggml authors).
llama-native's own converter (:func:`llama_native.json_schema_to_gbnf`,
``LlamaGrammar.from_json_schema``) is a different one; this class gives the
grammar text llama-cpp-python gives, for code that drives ``SchemaConverter``
itself.  It is kept as one module of about 500 lines, the size of the module
it ports, so that it can be read against it line by line.

Example::

    >>> from llama_native.llama_grammar import SchemaConverter
    >>> converter = SchemaConverter(prop_order={}, allow_fetch=False, dotall=False, raw_pattern=False)
    >>> schema = converter.resolve_refs({"type": "boolean"}, "input")
    >>> converter.visit(schema, "")
    'root'
    >>> print(converter.format_grammar())
    root ::= ("true" | "false") space
    space ::= " "?
"""

# ruff: noqa: E501
from __future__ import annotations

import json
import re
from itertools import groupby
from typing import Any

from ._grammar_rules import (
    DOT,
    DOTALL,
    ESCAPED_IN_REGEXPS_BUT_NOT_IN_LITERALS,
    GRAMMAR_LITERAL_ESCAPE_RE,
    GRAMMAR_LITERAL_ESCAPES,
    INVALID_RULE_CHARS_RE,
    NON_LITERAL_SET,
    PRIMITIVE_RULES,
    RESERVED_NAMES,
    SPACE_RULE,
    STRING_FORMAT_RULES,
    BuiltinRule,
    _build_repetition,
)


class SchemaConverter:
    def __init__(self, *, prop_order: Any, allow_fetch: Any, dotall: Any, raw_pattern: Any) -> None:
        self._prop_order = prop_order
        self._allow_fetch = allow_fetch
        self._dotall = dotall
        self._raw_pattern = raw_pattern
        self._rules = {"space": SPACE_RULE}
        self._refs: dict[str, Any] = {}
        self._refs_being_resolved: set[str] = set()

    def _format_literal(self, literal: Any) -> Any:
        escaped = GRAMMAR_LITERAL_ESCAPE_RE.sub(lambda m: GRAMMAR_LITERAL_ESCAPES[m.group(0)], literal)
        return f'"{escaped}"'

    def not_literal(self, literal: str, dotall: bool = True, maybe_escaped_underscores: Any = False) -> str:
        """A GBNF alternative matching any text but ``literal``.

        not_literal('a') -> '[^a]'
        not_literal('abc') -> '([^a] | "a" ([^b] | "b" ([^c])?)?)?'.
        """
        assert len(literal) > 0, "Empty literal not supported"

        def recurse(i: int) -> Any:
            """As llama-cpp-python's ``SchemaConverter.recurse``."""
            c = literal[i]
            if maybe_escaped_underscores and c == "_":
                yield f"[^{c}\\\\]"
                yield " | "
                yield f'"\\\\"? "{c}"'
            else:
                yield f"[^{c}]"
            if i < len(literal) - 1:
                yield " | "
                yield self._format_literal(c)
                yield " ("
                yield from recurse(i + 1)
                yield ")?"

        return "".join(("(", *recurse(0), ")"))

    def _add_rule(self, name: Any, rule: Any) -> Any:
        esc_name = INVALID_RULE_CHARS_RE.sub("-", name)
        if esc_name not in self._rules or self._rules[esc_name] == rule:
            key = esc_name
        else:
            i = 0
            while f"{esc_name}{i}" in self._rules and self._rules[f"{esc_name}{i}"] != rule:
                i += 1
            key = f"{esc_name}{i}"
        self._rules[key] = rule
        return key

    def resolve_refs(self, schema: dict[str, Any], url: str) -> Any:
        """Resolves all $ref fields in the given schema, fetching any remote schemas.

        Replacing $ref with absolute reference URL and populating self._refs with the
        respective referenced (sub)schema dictionaries.
        """

        def visit(n: Any) -> Any:
            """As llama-cpp-python's ``SchemaConverter.visit``."""
            if isinstance(n, list):
                return [visit(x) for x in n]
            elif isinstance(n, dict):
                ref = n.get("$ref")
                if ref is not None and ref not in self._refs:
                    if ref.startswith("https://"):
                        assert self._allow_fetch, "Fetching remote schemas is not allowed (use --allow-fetch for force)"
                        import requests

                        frag_split = ref.split("#")
                        base_url = frag_split[0]
                        target = self._refs.get(base_url)
                        if target is None:
                            target = self.resolve_refs(requests.get(ref).json(), base_url)
                            self._refs[base_url] = target
                        if len(frag_split) == 1 or frag_split[-1] == "":
                            return target
                    elif ref.startswith("#/"):
                        target = schema
                        ref = f"{url}{ref}"
                        n["$ref"] = ref
                    else:
                        raise ValueError(f"Unsupported ref {ref}")
                    for sel in ref.split("#")[-1].split("/")[1:]:
                        assert target is not None and sel in target, f"Error resolving ref {ref}: {sel} not in {target}"
                        target = target[sel]
                    self._refs[ref] = target
                else:
                    for v in n.values():
                        visit(v)
            return n

        return visit(schema)

    def _generate_union_rule(self, name: Any, alt_schemas: Any) -> Any:
        return " | ".join(
            (
                self.visit(alt_schema, f"{name}{('-' if name else 'alternative-')}{i}")
                for i, alt_schema in enumerate(alt_schemas)
            )
        )

    def _visit_pattern(self, pattern: Any, name: Any) -> Any:
        """Transforms a regular expression pattern into a GBNF rule.

        Input: https://json-schema.org/understanding-json-schema/reference/regular_expressions
        Output: https://github.com/ggerganov/llama.cpp/blob/master/grammars/README.md

        Unsupported features: negative/positive lookaheads, greedy/non-greedy modifiers.

        Mostly a 1:1 translation, except for {x} / {x,} / {x,y} quantifiers for which
        we define sub-rules to keep the output lean.
        """
        assert pattern.startswith("^") and pattern.endswith("$"), 'Pattern must start with "^" and end with "$"'
        pattern = pattern[1:-1]
        sub_rule_ids: dict[str, Any] = {}
        i = 0
        length = len(pattern)

        def to_rule(s: tuple[str, bool]) -> str:
            """As llama-cpp-python's ``SchemaConverter.to_rule``."""
            txt, is_literal = s
            return '"' + txt + '"' if is_literal else txt

        def transform() -> tuple[str, bool]:
            """Parse a unit at index i (advancing it), and return its string representation + whether it's a literal."""
            nonlocal i
            nonlocal pattern
            nonlocal sub_rule_ids
            start = i
            seq: list[tuple[str, bool]] = []

            def get_dot() -> Any:
                """As llama-cpp-python's ``SchemaConverter.get_dot``."""
                if self._dotall:
                    rule = DOTALL
                else:
                    rule = DOT
                return self._add_rule("dot", rule)

            def join_seq() -> Any:
                """As llama-cpp-python's ``SchemaConverter.join_seq``."""
                nonlocal seq
                ret = []
                for is_literal, g in groupby(seq, lambda x: x[1]):
                    if is_literal:
                        ret.append(("".join((x[0] for x in g)), True))
                    else:
                        ret.extend(g)
                if len(ret) == 1:
                    return ret[0]
                return (" ".join(to_rule(x) for x in seq), False)

            while i < length:
                c = pattern[i]
                if c == ".":
                    seq.append((get_dot(), False))
                    i += 1
                elif c == "(":
                    i += 1
                    if i < length:
                        assert pattern[i] != "?", (
                            f'Unsupported pattern syntax "{pattern[i]}" at index {i} of /{pattern}/'
                        )
                    seq.append((f"({to_rule(transform())})", False))
                elif c == ")":
                    i += 1
                    assert start > 0 and pattern[start - 1] == "(", (
                        f"Unbalanced parentheses; start = {start}, i = {i}, pattern = {pattern}"
                    )
                    return join_seq()
                elif c == "[":
                    square_brackets = c
                    i += 1
                    while i < length and pattern[i] != "]":
                        if pattern[i] == "\\":
                            square_brackets += pattern[i : i + 2]
                            i += 2
                        else:
                            square_brackets += pattern[i]
                            i += 1
                    assert i < length, f"Unbalanced square brackets; start = {start}, i = {i}, pattern = {pattern}"
                    square_brackets += "]"
                    i += 1
                    seq.append((square_brackets, False))
                elif c == "|":
                    seq.append(("|", False))
                    i += 1
                elif c in ("*", "+", "?"):
                    seq[-1] = (to_rule(seq[-1]) + c, False)
                    i += 1
                elif c == "{":
                    curly_brackets = c
                    i += 1
                    while i < length and pattern[i] != "}":
                        curly_brackets += pattern[i]
                        i += 1
                    assert i < length, f"Unbalanced curly brackets; start = {start}, i = {i}, pattern = {pattern}"
                    curly_brackets += "}"
                    i += 1
                    nums = [s.strip() for s in curly_brackets[1:-1].split(",")]
                    min_times = 0
                    max_times = None
                    try:
                        if len(nums) == 1:
                            min_times = int(nums[0])
                            max_times = min_times
                        else:
                            assert len(nums) == 2
                            min_times = int(nums[0]) if nums[0] else 0
                            max_times = int(nums[1]) if nums[1] else None
                    except ValueError:
                        raise ValueError(f"Invalid quantifier {curly_brackets} in /{pattern}/")
                    sub, sub_is_literal = seq[-1]
                    if not sub_is_literal:
                        id = sub_rule_ids.get(sub)
                        if id is None:
                            id = self._add_rule(f"{name}-{len(sub_rule_ids) + 1}", sub)
                            sub_rule_ids[sub] = id
                        sub = id
                    seq[-1] = (
                        _build_repetition(
                            f'"{sub}"' if sub_is_literal else sub,
                            min_times,
                            max_times,
                            item_rule_is_literal=sub_is_literal,
                        ),
                        False,
                    )
                else:
                    literal = ""
                    while i < length:
                        if pattern[i] == "\\" and i < length - 1:
                            next = pattern[i + 1]
                            if next in ESCAPED_IN_REGEXPS_BUT_NOT_IN_LITERALS:
                                i += 1
                                literal += pattern[i]
                                i += 1
                            else:
                                literal += pattern[i : i + 2]
                                i += 2
                        elif pattern[i] == '"' and (not self._raw_pattern):
                            literal += '\\"'
                            i += 1
                        elif pattern[i] not in NON_LITERAL_SET and (
                            i == length - 1
                            or literal == ""
                            or pattern[i + 1] == "."
                            or (pattern[i + 1] not in NON_LITERAL_SET)
                        ):
                            literal += pattern[i]
                            i += 1
                        else:
                            break
                    if literal:
                        seq.append((literal, True))
            return join_seq()

        return self._add_rule(
            name, to_rule(transform()) if self._raw_pattern else '"\\"" ' + to_rule(transform()) + ' "\\"" space'
        )

    def _resolve_ref(self, ref: Any) -> Any:
        ref_name = ref.split("/")[-1]
        if ref_name not in self._rules and ref not in self._refs_being_resolved:
            self._refs_being_resolved.add(ref)
            resolved = self._refs[ref]
            ref_name = self.visit(resolved, ref_name)
            self._refs_being_resolved.remove(ref)
        return ref_name

    def _generate_constant_rule(self, value: Any) -> Any:
        return self._format_literal(json.dumps(value))

    def visit(self, schema: Any, name: Any) -> Any:
        """As llama-cpp-python's ``SchemaConverter.visit``."""
        schema_type = schema.get("type")
        schema_format = schema.get("format")
        rule_name = name + "-" if name in RESERVED_NAMES else name or "root"
        if (ref := schema.get("$ref")) is not None:
            return self._add_rule(rule_name, self._resolve_ref(ref))
        elif "oneOf" in schema or "anyOf" in schema:
            return self._add_rule(rule_name, self._generate_union_rule(name, schema.get("oneOf") or schema["anyOf"]))
        elif isinstance(schema_type, list):
            return self._add_rule(rule_name, self._generate_union_rule(name, [{"type": t} for t in schema_type]))
        elif "const" in schema:
            return self._add_rule(rule_name, self._generate_constant_rule(schema["const"]))
        elif "enum" in schema:
            rule = " | ".join(self._generate_constant_rule(v) for v in schema["enum"])
            return self._add_rule(rule_name, rule)
        elif schema_type in (None, "object") and (
            "properties" in schema or ("additionalProperties" in schema and schema["additionalProperties"] is not True)
        ):
            required = set(schema.get("required", []))
            properties = list(schema.get("properties", {}).items())
            return self._add_rule(
                rule_name, self._build_object_rule(properties, required, name, schema.get("additionalProperties"))
            )
        elif schema_type in (None, "object") and "allOf" in schema:
            required = set()
            properties = []
            hybrid_name = name

            def add_component(comp_schema: Any, is_required: Any) -> Any:
                """As llama-cpp-python's ``SchemaConverter.add_component``."""
                if (ref := comp_schema.get("$ref")) is not None:
                    comp_schema = self._refs[ref]
                if "properties" in comp_schema:
                    for prop_name, prop_schema in comp_schema["properties"].items():
                        properties.append((prop_name, prop_schema))
                        if is_required:
                            required.add(prop_name)

            for t in schema["allOf"]:
                if "anyOf" in t:
                    for tt in t["anyOf"]:
                        add_component(tt, is_required=False)
                else:
                    add_component(t, is_required=True)
            return self._add_rule(
                rule_name, self._build_object_rule(properties, required, hybrid_name, additional_properties=[])
            )
        elif schema_type in (None, "array") and ("items" in schema or "prefixItems" in schema):
            items = schema.get("items") or schema["prefixItems"]
            if isinstance(items, list):
                return self._add_rule(
                    rule_name,
                    '"[" space '
                    + ' "," space '.join(
                        (self.visit(item, f"{name}{('-' if name else '')}tuple-{i}") for i, item in enumerate(items))
                    )
                    + ' "]" space',
                )
            else:
                item_rule_name = self.visit(items, f"{name}{('-' if name else '')}item")
                min_items = schema.get("minItems", 0)
                max_items = schema.get("maxItems")
                return self._add_rule(
                    rule_name,
                    '"[" space '
                    + _build_repetition(item_rule_name, min_items, max_items, separator_rule='"," space')
                    + ' "]" space',
                )
        elif schema_type in (None, "string") and "pattern" in schema:
            return self._visit_pattern(schema["pattern"], rule_name)
        elif schema_type in (None, "string") and re.match("^uuid[1-5]?$", schema_format or ""):
            return self._add_primitive("root" if rule_name == "root" else schema_format, PRIMITIVE_RULES["uuid"])
        elif schema_type in (None, "string") and f"{schema_format}-string" in STRING_FORMAT_RULES:
            prim_name = f"{schema_format}-string"
            return self._add_rule(rule_name, self._add_primitive(prim_name, STRING_FORMAT_RULES[prim_name]))
        elif schema_type == "string" and ("minLength" in schema or "maxLength" in schema):
            char_rule = self._add_primitive("char", PRIMITIVE_RULES["char"])
            min_len = schema.get("minLength", 0)
            max_len = schema.get("maxLength")
            return self._add_rule(rule_name, '"\\"" ' + _build_repetition(char_rule, min_len, max_len) + ' "\\"" space')
        elif schema_type == "object" or len(schema) == 0:
            return self._add_rule(rule_name, self._add_primitive("object", PRIMITIVE_RULES["object"]))
        else:
            assert schema_type in PRIMITIVE_RULES, f"Unrecognized schema: {schema}"
            return self._add_primitive("root" if rule_name == "root" else schema_type, PRIMITIVE_RULES[schema_type])

    def _add_primitive(self, name: str, rule: BuiltinRule) -> Any:
        n = self._add_rule(name, rule.content)
        for dep in rule.deps:
            dep_rule = PRIMITIVE_RULES.get(dep) or STRING_FORMAT_RULES.get(dep)
            assert dep_rule, f"Rule {dep} not known"
            if dep not in self._rules:
                self._add_primitive(dep, dep_rule)
        return n

    def _build_object_rule(
        self, properties: list[tuple[str, Any]], required: set[str], name: str, additional_properties: bool | Any
    ) -> Any:
        prop_order = self._prop_order
        sorted_props = [
            kv[0]
            for _, kv in sorted(
                enumerate(properties), key=lambda ikv: (prop_order.get(ikv[1][0], len(prop_order)), ikv[0])
            )
        ]
        prop_kv_rule_names = {}
        for prop_name, prop_schema in properties:
            prop_rule_name = self.visit(prop_schema, f"{name}{('-' if name else '')}{prop_name}")
            prop_kv_rule_names[prop_name] = self._add_rule(
                f"{name}{('-' if name else '')}{prop_name}-kv",
                f'{self._format_literal(json.dumps(prop_name))} space ":" space {prop_rule_name}',
            )
        required_props = [k for k in sorted_props if k in required]
        optional_props = [k for k in sorted_props if k not in required]
        # `== True` as llama-cpp-python writes it: a schema given for the extra values is visited, not {}
        allows_any = additional_properties == True  # noqa: E712
        if allows_any or isinstance(additional_properties, dict):
            sub_name = f"{name}{('-' if name else '')}additional"
            value_rule = self.visit({} if allows_any else additional_properties, f"{sub_name}-value")
            prop_kv_rule_names["*"] = self._add_rule(
                f"{sub_name}-kv", self._add_primitive("string", PRIMITIVE_RULES["string"]) + f' ":" space {value_rule}'
            )
            optional_props.append("*")
        rule = '"{" space '
        rule += ' "," space '.join(prop_kv_rule_names[k] for k in required_props)
        if optional_props:
            rule += " ("
            if required_props:
                rule += ' "," space ( '

            def get_recursive_refs(ks: Any, first_is_optional: Any) -> Any:
                """As llama-cpp-python's ``SchemaConverter.get_recursive_refs``."""
                [k, *rest] = ks
                kv_rule_name = prop_kv_rule_names[k]
                if k == "*":
                    res = self._add_rule(
                        f"{name}{('-' if name else '')}additional-kvs",
                        f'{kv_rule_name} ( "," space ' + kv_rule_name + " )*",
                    )
                elif first_is_optional:
                    res = f'( "," space {kv_rule_name} )?'
                else:
                    res = kv_rule_name
                if len(rest) > 0:
                    res += " " + self._add_rule(
                        f"{name}{('-' if name else '')}{k}-rest", get_recursive_refs(rest, first_is_optional=True)
                    )
                return res

            rule += " | ".join(
                get_recursive_refs(optional_props[i:], first_is_optional=False) for i in range(len(optional_props))
            )
            if required_props:
                rule += " )"
            rule += " )?"
        rule += ' "}" space'
        return rule

    def format_grammar(self) -> Any:
        """As llama-cpp-python's ``SchemaConverter.format_grammar``."""
        return "\n".join((f"{name} ::= {rule}" for name, rule in sorted(self._rules.items(), key=lambda kv: kv[0])))


def lcp_json_schema_to_gbnf(schema: str, prop_order: list[str] | None = None) -> str:
    """llama-cpp-python's ``json_schema_to_gbnf``: the schema (JSON text) as its :class:`SchemaConverter` writes it.

    Its ``LlamaGrammar.from_json_schema`` uses this converter; the compat chat
    handlers do too, so their grammars are llama-cpp-python's.

    Example::

        >>> print(lcp_json_schema_to_gbnf('{"type": "boolean"}'))
        root ::= ("true" | "false") space
        space ::= " "?
    """
    converter = SchemaConverter(
        prop_order={name: idx for idx, name in enumerate(prop_order or [])},
        allow_fetch=False,
        dotall=False,
        raw_pattern=False,
    )
    resolved = converter.resolve_refs(json.loads(schema), "stdin")
    converter.visit(resolved, "")
    return str(converter.format_grammar())


def lcp_grammar_from_json_schema(schema: str, verbose: bool = True) -> Any:
    """``LlamaGrammar.from_json_schema`` as llama-cpp-python builds it (its converter's GBNF)."""
    from ..grammar import LlamaGrammar

    return LlamaGrammar.from_string(lcp_json_schema_to_gbnf(schema), verbose=verbose)
