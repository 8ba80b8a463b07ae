"""JSON Schema to GBNF: the grammar of every JSON text that validates.

Why our own converter: llama.cpp's converter is C++ outside its C API (and
the Python port was removed upstream); llama-cpp-python's copy orders
required keys before optional ones, treats patterns as anchored and allows
free whitespace.  This one keeps keys in the schema's order (or
``prop_order``), lets the model choose bounded whitespace (or none), follows the specification for
unanchored patterns and absent ``additionalProperties``, and records every
keyword it cannot enforce so generation checks it with ``jsonschema``
wherever the value would end (or, with ``strict=True``, refuses the schema).

``$ref`` is resolved with :mod:`jsonref` (local references only); recursive
schemas become recursive rules.

How each keyword is handled:

=====================================  ===========================================
enforced by the grammar                type (and lists), enum, const, properties,
                                       required, additionalProperties,
                                       items / prefixItems / additionalItems,
                                       minItems, maxItems, minLength, maxLength,
                                       pattern, format (date, time, date-time,
                                       uuid, email, uri, ipv4, hostname),
                                       integer minimum / maximum /
                                       exclusiveMinimum / exclusiveMaximum,
                                       anyOf, oneOf (as anyOf), allOf (merged),
                                       nullable, $ref
superset in the grammar, checked       uniqueItems, multipleOf, not, if/then/else,
where the value would end              contains, min/maxProperties,
(``strict=True``: refused)             patternProperties, propertyNames,
                                       dependentRequired, dependentSchemas,
                                       number bounds other than >= 0, oneOf
                                       exclusivity, other formats, minLength or
                                       maxLength together with a pattern,
                                       repetition bounds above 1000
ignored (annotations)                  title, description, default, examples,
                                       $comment, $schema, $id, deprecated,
                                       readOnly, writeOnly, contentMediaType
=====================================  ===========================================
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import jsonref

from .gbnf import (
    MAX_REPETITION,
    NOT_CHARACTERS,
    complement,
    json_literal,
    json_string_chars,
    literal,
    normalize_ranges,
    repetition,
)
from .int_ranges import int_range_rule
from .regex import UnsupportedPattern, pattern_to_gbnf, pattern_with_length

WHITESPACE_MODES = ("free", "compact", "pretty")
#: The default: the model chooses its whitespace, bounded (see :data:`SPACE_RULES`).
DEFAULT_WHITESPACE = "free"
#: What may stand between JSON tokens in each mode.  ``free`` is llama.cpp's own
#: rule (nothing, a space, or one or two newlines with up to 20 spaces or tabs):
#: real models write ``{"age": 41}`` or pretty-printed JSON and copy values worse
#: when forced out of that habit.  ``compact`` allows nothing (fewest tokens; what
#: the embedded micro model was trained on); ``pretty`` a space or one newline
#: with up to 40 spaces.  A declared key is always followed directly by ``":"``
#: (no model writes ``"age" :``), so jump-forward still completes ``":`` after it.
SPACE_RULES: dict[str, str] = {
    "free": '| " " | "\\n"{1,2} [ \\t]{0,20}',
    "compact": '""',
    "pretty": '| " " | "\\n" [ ]{0,40}',
}

_CHAR = r'[^"\\\x7F\x00-\x1F\uD800-\uDFFF\U00110000-\U001FFFFF] | [\\] (["\\/bfnrt] | "u" [0-9a-fA-F]{4})'
PRIMITIVE_RULES: dict[str, str] = {
    "char": _CHAR,
    "string": r'"\"" char* "\"" space',
    "integral-part": "[0] | [1-9] [0-9]{0,19}",
    "decimal-part": "[0-9]{1,20}",
    # Numbers stay finite doubles: a positive exponent above 99 only after a
    # single integral digit (the scientific notation every JSON encoder writes).
    "exponent": '[eE] ("-" [0-9]{1,3} | "+"? [0-9]{1,2})',
    "large-exponent": '[eE] "+"? ([12] [0-9] [0-9] | "30" [0-8])',
    "number": '"-"? (integral-part ("." decimal-part)? exponent? | [1-9] ("." decimal-part)? large-exponent) space',
    "integer": '"-"? integral-part space',
    "boolean": '("true" | "false") space',
    "null": '"null" space',
    "value": "object | array | string | number | boolean | null",
    "object": '"{" space ( string ":" space value ("," space string ":" space value)* )? "}" space',
    "array": '"[" space ( value ("," space value)* )? "]" space',
}
_PRIMITIVE_DEPS: dict[str, tuple[str, ...]] = {
    "string": ("char", "space"),
    "number": ("integral-part", "decimal-part", "exponent", "large-exponent", "space"),
    "integer": ("integral-part", "space"),
    "boolean": ("space",),
    "null": ("space",),
    "value": ("object", "array", "string", "number", "boolean", "null"),
    "object": ("string", "value", "space"),
    "array": ("value", "space"),
}

# Formats: the *contents* of the string (without quotes).
_DATE = (
    '[0-9]{4} "-" ( ("0" [13578] | "1" [02]) "-" ("0" [1-9] | [12] [0-9] | "3" [01]) '
    '| ("0" [469] | "11") "-" ("0" [1-9] | [12] [0-9] | "30") '
    '| "02" "-" ("0" [1-9] | "1" [0-9] | "2" [0-9]) )'
)
_TIME = (
    '([01] [0-9] | "2" [0-3]) ":" [0-5] [0-9] ":" ([0-5] [0-9] | "60") ( "." [0-9]{1,9} )? '
    '( [zZ] | [+-] ( [01] [0-9] | "2" [0-3] ) ":" [0-5] [0-9] )'
)
_HOST_LABEL = "[a-zA-Z0-9] ([a-zA-Z0-9-]{0,61} [a-zA-Z0-9])?"
FORMAT_RULES: dict[str, str] = {
    "date": _DATE,
    "time": _TIME,
    "date-time": f"{_DATE} [tT] {_TIME}",
    "uuid": '[0-9a-fA-F]{8} "-" [0-9a-fA-F]{4} "-" [0-9a-fA-F]{4} "-" [0-9a-fA-F]{4} "-" [0-9a-fA-F]{12}',
    # deliberately loose (a superset, validated afterwards) so no valid address is refused
    "email": f'[^"\\\\\\x00-\\x20@{NOT_CHARACTERS}]+ "@" [^"\\\\\\x00-\\x20@{NOT_CHARACTERS}]+',
    "uri": f'[a-zA-Z] [a-zA-Z0-9+.-]* ":" [^"\\\\\\x00-\\x20{NOT_CHARACTERS}]*',
    "ipv4": ' "." '.join(['( "25" [0-5] | "2" [0-4] [0-9] | "1" [0-9] [0-9] | [1-9] [0-9] | [0-9] )'] * 4),
    "hostname": f'{_HOST_LABEL} ("." {_HOST_LABEL})* "."?',
}

_ANNOTATIONS = frozenset(
    {
        "title",
        "description",
        "default",
        "examples",
        "$comment",
        "$schema",
        "$id",
        "id",
        "deprecated",
        "readOnly",
        "writeOnly",
        "contentMediaType",
        "contentEncoding",
        "$defs",
        "definitions",
        "$anchor",
        "$vocabulary",
        "discriminator",
        "example",
        "xml",
        "externalDocs",
        "x-order",
        "strict",
    }
)
# Keywords that the grammar cannot enforce: accepted as a superset, validated afterwards.
_UNENFORCED = frozenset(
    {
        "uniqueItems",
        "multipleOf",
        "not",
        "if",
        "then",
        "else",
        "contains",
        "minContains",
        "maxContains",
        "minProperties",
        "maxProperties",
        "patternProperties",
        "propertyNames",
        "dependentRequired",
        "dependentSchemas",
        "dependencies",
        "unevaluatedProperties",
        "unevaluatedItems",
    }
)


class UnsupportedSchemaError(ValueError):
    """A schema keyword the grammar cannot enforce (``strict=True``), or an invalid schema.

    ``keyword`` and ``pointer`` (a JSON pointer into the schema) name the place.
    """

    def __init__(self, message: str, keyword: str = "", pointer: str = "") -> None:
        super().__init__(f"{message} (keyword {keyword!r} at {pointer or '/'})" if keyword else message)
        self.keyword = keyword
        self.pointer = pointer


class UnsatisfiableSchemaError(UnsupportedSchemaError):
    """The (sub)schema accepts no value at all (``false``, contradictory bounds, an impossible enum, ...)."""


class StrictModeError(UnsupportedSchemaError):
    """``strict=True`` refused a keyword the grammar could only approximate."""


@dataclass
class Unenforced:
    """A keyword accepted as a superset by the grammar and checked after generation."""

    keyword: str
    pointer: str
    reason: str = ""


@dataclass
class ConversionResult:
    """The grammar plus what the grammar alone does not guarantee."""

    gbnf: str
    unenforced: list[Unenforced] = field(default_factory=list)


def _pointer_escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _local_only_loader(uri: str, **kwargs: Any) -> Any:
    raise UnsupportedSchemaError(f"remote $ref {uri!r} is not loaded (only local references are supported)", "$ref")


def resolve_refs(schema: Any) -> Any:
    """Replace ``$ref`` objects by lazy proxies to their targets (jsonref).

    A ``$ref`` at the root is moved into an ``allOf`` first: jsonref would
    otherwise resolve ``#/...`` pointers inside the referenced object instead
    of the document that holds the definitions.
    """
    if isinstance(schema, dict):
        anchors: dict[str, str] = {}
        _collect_anchors(schema, "", anchors)
        if anchors:
            schema = _rewrite_anchor_refs(schema, anchors)
    if isinstance(schema, dict) and "$ref" in schema:
        ref = schema["$ref"]
        schema = {k: v for k, v in schema.items() if k != "$ref"}
        schema["allOf"] = [{"$ref": ref}] + list(schema.get("allOf", []))
    return jsonref.replace_refs(schema, loader=_local_only_loader, merge_props=False, proxies=True, lazy_load=True)


class SchemaConverter:
    """Builds the rules; use :func:`convert_schema` rather than this class directly."""

    def __init__(
        self, *, prop_order: Sequence[str] | None, whitespace: str, strict: bool, additional_default: bool = True
    ) -> None:
        if whitespace not in WHITESPACE_MODES:
            raise ValueError(f"whitespace must be one of {WHITESPACE_MODES}, got {whitespace!r}")
        self.prop_order = {name: i for i, name in enumerate(prop_order or [])}
        self.whitespace = whitespace
        self.strict = strict
        self.additional_default = additional_default
        self.rules: dict[str, str] = {}
        self.ref_rules: dict[str, str] = {}
        self.unenforced: list[Unenforced] = []
        self.all_of_depth = 0
        self.rules["root"] = "<reserved>"  # the start rule, written last

    # ----------------------------------------------------------- bookkeeping
    def note(self, keyword: str, pointer: str, reason: str = "") -> None:
        """Record a keyword the grammar relaxes; refuse it under ``strict``."""
        if self.strict:
            raise StrictModeError(
                f"the grammar cannot enforce this keyword{': ' + reason if reason else ''}", keyword, pointer
            )
        self.unenforced.append(Unenforced(keyword, pointer, reason))

    def if_satisfiable(self, build: Callable[[], str]) -> tuple[str | None, str]:
        """``(build(), "")``, or ``(None, reason)`` with the rules rolled back when the schema accepts no value."""
        snapshot = (dict(self.rules), dict(self.ref_rules), len(self.unenforced))
        try:
            return build(), ""
        except UnsatisfiableSchemaError as exc:
            self.rules, self.ref_rules = snapshot[0], snapshot[1]
            del self.unenforced[snapshot[2] :]
            return None, str(exc)

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
            for dep in _PRIMITIVE_DEPS.get(name, ()):
                self.primitive(dep)
        return name

    # ----------------------------------------------------------------- visit
    def visit(self, schema: Any, name: str, pointer: str) -> str:
        """Return a rule name (or a GBNF expression) for ``schema``."""
        if isinstance(schema, jsonref.JsonRef):
            return self.visit_ref(schema, name, pointer)
        if schema is True or schema == {}:
            return self.primitive("value")
        if schema is False:
            raise UnsatisfiableSchemaError("the schema 'false' accepts no value", "false", pointer)
        if not isinstance(schema, dict):
            raise UnsupportedSchemaError(
                f"a schema must be an object or a boolean, got {type(schema).__name__}", "type", pointer
            )
        return self.add_rule(name, self.schema_body(schema, name, pointer))

    def visit_ref(self, proxy: Any, name: str, pointer: str) -> str:
        """The rule of a ``$ref``: one rule per target (recursion allowed), combined with sibling keywords."""
        reference = proxy.__reference__
        siblings = {k: v for k, v in reference.items() if k != "$ref" and k not in _ANNOTATIONS}
        uri = getattr(proxy, "full_uri", None) or reference["$ref"]
        if uri not in self.ref_rules:
            fragment = reference["$ref"].split("#")[-1]
            rule_name = self.add_rule(fragment.split("/")[-1] or "root-ref", "")  # reserve the name (recursion)
            self.ref_rules[uri] = rule_name
            try:
                target = proxy.__subject__
            except Exception as exc:  # unresolvable pointer
                raise UnsupportedSchemaError(
                    f"cannot resolve $ref {reference['$ref']!r}: {exc}", "$ref", pointer
                ) from None
            if isinstance(target, dict):
                self.rules[rule_name] = self.schema_body(target, rule_name, pointer)
            else:
                self.rules[rule_name] = self.visit(target, rule_name + "-t", pointer)
        ref_rule = self.ref_rules[uri]
        if not siblings:
            return ref_rule
        # $ref beside other keywords (2019-09+): both must hold
        return self.add_rule(name, self.all_of_body([proxy.__subject__, siblings], name, pointer))

    def schema_body(self, schema: dict[str, Any], name: str, pointer: str) -> str:
        """The GBNF body of a schema object: its combinators, enum/const, or its type(s)."""
        for keyword in schema:
            if keyword in _UNENFORCED:
                self.note(keyword, f"{pointer}/{_pointer_escape(keyword)}")
        if "$ref" in schema and not isinstance(schema, jsonref.JsonRef):
            raise UnsupportedSchemaError(f"unresolved $ref {schema['$ref']!r}", "$ref", pointer)
        if "allOf" in schema:
            rest = {k: v for k, v in schema.items() if k != "allOf"}
            parts = list(schema["allOf"]) + ([rest] if _has_constraints(rest) else [])
            return self.all_of_body(parts, name, f"{pointer}/allOf")
        for union_kw in ("anyOf", "oneOf"):
            if union_kw in schema:
                if union_kw == "oneOf":
                    self.note("oneOf", f"{pointer}/oneOf", "exclusivity of the alternatives")
                rest = {k: v for k, v in schema.items() if k not in ("anyOf", "oneOf")}
                alternatives = []
                problems = []
                for i, alt in enumerate(schema[union_kw]):
                    alt_pointer = f"{pointer}/{union_kw}/{i}"
                    if alt is False:
                        continue
                    if _has_constraints(rest):
                        rule, problem = self.if_satisfiable(
                            lambda: self.add_rule(
                                f"{name}-{i}", self.all_of_body([rest, alt], f"{name}-{i}", alt_pointer)
                            )
                        )
                    else:
                        rule, problem = self.if_satisfiable(lambda: self.visit(alt, f"{name}-{i}", alt_pointer))
                    if rule is None:
                        problems.append(problem)  # an unsatisfiable alternative matches nothing: left out
                    else:
                        alternatives.append(rule)
                if not alternatives:
                    raise UnsatisfiableSchemaError(
                        f"no alternative of {union_kw} can be satisfied: {'; '.join(problems)}", union_kw, pointer
                    )
                return " | ".join(alternatives)
        if "const" in schema or "enum" in schema:
            # the listed values, less those the schema's other keywords reject
            values = [schema["const"]] if "const" in schema else list(schema["enum"])
            values = [v for v in values if _has_type(schema, v)]
            if not values:
                raise UnsatisfiableSchemaError("no value of the enum/const satisfies the schema", "enum", pointer)
            return "(" + " | ".join(json_literal(v) for v in values) + f") {self.primitive('space')}"

        types = schema.get("type")
        if types is None:
            # No "type": every JSON type is allowed; keywords constrain only
            # their own type. The implied type goes first (models expect it).
            implied = _infer_types(schema)
            others = [t for t in ("object", "array", "string", "number", "boolean", "null") if t not in implied]
            types = implied + others if implied else []
        if isinstance(types, str):
            types = [types]
        types = list(types)
        if schema.get("nullable") is True and "null" not in types:
            types.append("null")
        if not types:
            return self.primitive("value")
        if len(types) == 1:
            return self.type_body(schema, types[0], name, pointer)
        return " | ".join(
            self.add_rule(f"{name}-{t}", self.type_body(schema, t, f"{name}-{t}", pointer)) for t in types
        )

    def type_body(self, schema: dict[str, Any], type_name: str, name: str, pointer: str) -> str:
        """The GBNF body of ``schema`` restricted to one JSON type."""
        if type_name == "object":
            return self.object_body(schema, name, pointer)
        if type_name == "array":
            return self.array_body(schema, name, pointer)
        if type_name == "string":
            return self.string_body(schema, name, pointer)
        if type_name == "integer":
            return self.integer_body(schema, pointer)
        if type_name == "number":
            return self.number_body(schema, pointer)
        if type_name in ("boolean", "null"):
            return self.primitive(type_name)
        raise UnsupportedSchemaError(f"unknown type {type_name!r}", "type", pointer)

    # ------------------------------------------------------------- objects
    def ordered(self, names: list[str]) -> list[str]:
        """``names`` with the ``prop_order`` keys first, the rest in schema order."""
        return [
            n
            for _, n in sorted(
                enumerate(names), key=lambda item: (self.prop_order.get(item[1], len(self.prop_order)), item[0])
            )
        ]

    def object_body(self, schema: dict[str, Any], name: str, pointer: str) -> str:
        """The GBNF body of an object: declared keys in order, required or optional, then extra keys."""
        space = self.primitive("space")
        properties: dict[str, Any] = dict(schema.get("properties") or {})
        required_list = list(dict.fromkeys(schema.get("required") or []))
        required = set(required_list)
        explicit_additional = schema.get("additionalProperties", True)
        for key in required_list:
            if key in properties:
                continue
            # required but not declared: its value follows patternProperties or
            # additionalProperties; any value is accepted here and checked afterwards
            matching = [pat for pat in (schema.get("patternProperties") or {}) if _search(pat, key)]
            if not matching and explicit_additional is False:
                raise UnsatisfiableSchemaError(
                    f"property {key!r} is required but additionalProperties is false", "required", pointer
                )
            if matching or explicit_additional is not True:
                self.note("required", f"{pointer}/required", f"the value of undeclared property {key!r}")
            properties[key] = True
        forbidden = [k for k, v in properties.items() if v is False]
        for key in forbidden:
            if key in required:
                raise UnsatisfiableSchemaError(
                    f"property {key!r} is required but its schema is false", "required", pointer
                )
            del properties[key]
        # an object that declares no properties at all is free-form whatever the default
        declared = "properties" in schema or "patternProperties" in schema
        additional = schema.get("additionalProperties", self.additional_default if declared else True)
        names = self.ordered(list(properties))
        kv_rules: list[tuple[str, bool]] = []
        for prop in list(names):
            prop_pointer = f"{pointer}/properties/{_pointer_escape(prop)}"
            value_rule, _problem = self.if_satisfiable(
                lambda: self.visit(properties[prop], f"{name}-{prop}", prop_pointer)
            )
            if value_rule is None:
                if prop in required:
                    raise UnsatisfiableSchemaError(
                        f"required property {prop!r} accepts no value: {_problem}", "required", pointer
                    )
                # no value is allowed, so the property cannot appear: as if its schema were false
                names.remove(prop)
                forbidden.append(prop)
                continue
            kv = self.add_rule(f"{name}-{prop}-kv", f'{json_literal(prop)} ":" {space} {value_rule}')
            kv_rules.append((kv, prop in required))
        extra_alternatives: list[str] = []
        for i, (pattern, sub) in enumerate((schema.get("patternProperties") or {}).items()):
            sub_pointer = f"{pointer}/patternProperties/{_pointer_escape(pattern)}"
            if sub is False:
                continue
            try:
                key_body, _exact = pattern_to_gbnf(pattern)
                key_rule = self.add_rule(
                    f"{name}-pattern-key{i}",
                    f'"\\"" {self.add_rule(f"{name}-pattern-key{i}-chars", key_body)} "\\"" {space}',
                )
            except ValueError:
                key_rule = self.primitive("string")
            value_rule = self.visit(sub, f"{name}-pattern{i}-value", sub_pointer)
            extra_alternatives.append(self.add_rule(f"{name}-pattern{i}-kv", f'{key_rule} ":" {space} {value_rule}'))
        if additional is not False:
            value_rule = (
                self.visit(additional, f"{name}-additional-value", f"{pointer}/additionalProperties")
                if additional is not True and additional != {}
                else self.primitive("value")
            )
            excluded = names + forbidden
            key_rule = self.not_strings_rule(excluded) if excluded else self.primitive("string")
            extra_alternatives.append(self.add_rule(f"{name}-additional-kv", f'{key_rule} ":" {space} {value_rule}'))
        extra_kv = None
        if extra_alternatives:
            extra_kv = (
                extra_alternatives[0]
                if len(extra_alternatives) == 1
                else self.add_rule(f"{name}-extra-kv", " | ".join(extra_alternatives))
            )
        # rest(i, first): the properties from i on; `first` = nothing emitted yet.
        memo: dict[tuple[int, bool], str] = {}

        def rest(i: int, first: bool) -> str:
            if (i, first) in memo:
                return memo[(i, first)]
            comma = "" if first else f'"," {space} '
            if i == len(kv_rules):
                if extra_kv is None:
                    body = ""
                else:
                    more = f'("," {space} {extra_kv})*'
                    body = f"({comma}{extra_kv} {more})?"
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

        inner = rest(0, True)
        return f'"{{" {space} {inner} "}}" {space}'.replace("  ", " ")

    def not_strings_rule(self, strings: list[str]) -> str:
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
                children = {k: v for k, v in child.items() if k != ""}
                if children:
                    sub = visit(child)
                    alternatives.append(f"{literal(lit)} ({sub})" if child.get("") else f"{literal(lit)} ({sub})?")
                else:
                    alternatives.append(f"{literal(lit)} {char}+")
            first_other = json_string_chars(complement(normalize_ranges([(ord(c), ord(c)) for c in rejects])))
            alternatives.append(f"{first_other} {char}*")
            return " | ".join(alternatives)

        body = visit(trie)
        optional = "" if trie.get("") else "?"
        return self.add_rule("key-not-declared", f'"\\"" ({body}){optional} "\\"" {self.primitive("space")}')

    def count_bounds(self, schema: dict[str, Any], min_kw: str, max_kw: str, pointer: str) -> tuple[int, int | None]:
        """(minimum, maximum or None) of a count keyword pair.

        Bounds above MAX_REPETITION are relaxed (and noted) rather than written out.
        """
        low = int(schema.get(min_kw, 0))
        high = None if schema.get(max_kw) is None else int(schema[max_kw])
        if high is not None and high < low:
            raise UnsatisfiableSchemaError(f"{max_kw} is smaller than {min_kw}", max_kw, pointer)
        if high is not None and high > MAX_REPETITION:
            self.note(max_kw, f"{pointer}/{max_kw}", f"bounds above {MAX_REPETITION} are checked afterwards")
            high = None
        if low > MAX_REPETITION:
            self.note(min_kw, f"{pointer}/{min_kw}", f"bounds above {MAX_REPETITION} are checked afterwards")
            low = MAX_REPETITION
        return low, high

    # -------------------------------------------------------------- arrays
    def array_body(self, schema: dict[str, Any], name: str, pointer: str) -> str:
        """The GBNF body of an array: prefix items, then items within minItems/maxItems."""
        space = self.primitive("space")
        items = schema.get("items")
        prefix = schema.get("prefixItems")
        if isinstance(items, list):  # draft 4-7 tuple form
            prefix, items = items, schema.get("additionalItems", True)
        prefix = list(prefix or [])
        min_items, max_items = self.count_bounds(schema, "minItems", "maxItems", pointer)
        prefix_rules = [self.visit(p, f"{name}-{i}", f"{pointer}/prefixItems/{i}") for i, p in enumerate(prefix)]
        if items is None or items is True or items == {}:
            item_rule: str | None = self.primitive("value")
        elif items is False:
            item_rule = None
        else:
            item_rule = self.visit(items, f"{name}-item", f"{pointer}/items")
        sep = f'"," {space}'
        n_prefix = len(prefix_rules)
        if max_items is not None:
            prefix_rules = prefix_rules[:max_items]
        # the prefix items, each present only if all before it are (min_items may require some)
        parts: list[str] = []

        def tail_after_prefix(first: bool) -> str:
            if item_rule is None:
                return ""
            lo = max(min_items - n_prefix, 0)
            hi = None if max_items is None else max(max_items - n_prefix, 0)
            if hi == 0:
                return ""
            if first:
                return repetition(item_rule, lo, hi, sep)
            rep = repetition(f"({sep} {item_rule})", lo, hi)
            return rep

        def prefix_from(i: int) -> str:
            if i == len(prefix_rules):
                return tail_after_prefix(first=(i == 0))
            lead = "" if i == 0 else f"{sep} "
            after = prefix_from(i + 1)
            take = f"{lead}{prefix_rules[i]} {after}".strip()
            return take if i < min_items else f"({take})?"

        if prefix_rules:
            parts.append(prefix_from(0))
        else:
            parts.append(tail_after_prefix(first=True))
        body = " ".join(p for p in parts if p)
        return f'"[" {space} {body} "]" {space}'.replace("  ", " ")

    # ------------------------------------------------------------- strings
    def string_body(self, schema: dict[str, Any], name: str, pointer: str) -> str:
        """The GBNF body of a string: length bounds, pattern or format."""
        space = self.primitive("space")
        min_len = schema.get("minLength", 0)
        max_len = schema.get("maxLength")
        pattern = schema.get("pattern")
        fmt = schema.get("format")
        if pattern is not None:
            try:
                body, exact = pattern_to_gbnf(pattern)
            except UnsupportedPattern as exc:
                self.note("pattern", f"{pointer}/pattern", str(exc))
            except ValueError as exc:
                raise UnsupportedSchemaError(str(exc), "pattern", pointer) from None
            else:
                if not exact:
                    self.note("pattern", f"{pointer}/pattern", f"repetition bounds above {MAX_REPETITION}")
                if min_len or max_len is not None:
                    try:
                        combined = pattern_with_length(pattern, int(min_len), None if max_len is None else int(max_len))
                    except ValueError as exc:
                        raise UnsatisfiableSchemaError(str(exc), "pattern", pointer) from None
                    if combined is not None and exact:
                        body = combined
                    else:
                        self.note(
                            "maxLength" if max_len is not None else "minLength",
                            pointer,
                            "length together with a pattern",
                        )
                if fmt:
                    self.note("format", f"{pointer}/format", "format together with a pattern")
                return f'"\\"" {self.add_rule(name + "-pattern", body)} "\\"" {space}'
        if fmt is not None and fmt in FORMAT_RULES:
            if min_len or max_len is not None:
                self.note("maxLength" if max_len is not None else "minLength", pointer, "length together with a format")
            if fmt in ("email", "uri"):
                self.note("format", f"{pointer}/format", f"{fmt} is a loose superset in the grammar")
            rule = self.add_rule(f"{fmt}-format", FORMAT_RULES[fmt])
            return f'"\\"" {rule} "\\"" {space}'
        if fmt is not None:
            self.note("format", f"{pointer}/format", f"format {fmt!r} has no grammar")
        char = self.primitive("char")
        min_len, max_len = self.count_bounds(schema, "minLength", "maxLength", pointer)
        chars = repetition(char, min_len, max_len)
        return f'"\\"" {chars} "\\"" {space}'.replace("  ", " ")

    # ------------------------------------------------------------- numbers
    def integer_body(self, schema: dict[str, Any], pointer: str) -> str:
        """The GBNF body of an integer within its bounds."""
        space = self.primitive("space")
        lo, hi = _integer_bounds(schema)
        if lo is None and hi is None:
            return self.primitive("integer")
        return f"({int_range_rule(lo, hi)}) {space}"

    def number_body(self, schema: dict[str, Any], pointer: str) -> str:
        """The GBNF body of a number (``minimum: 0`` exactly; other bounds checked at the end)."""
        self.primitive("number")
        lo, lo_exclusive, hi, _hi_exclusive = _number_bounds(schema)
        if lo is None and hi is None:
            return "number"
        exact = lo == 0 and not lo_exclusive and hi is None
        if not exact:
            for keyword in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"):
                if keyword in schema and not isinstance(schema[keyword], bool):
                    self.note(keyword, f"{pointer}/{keyword}", "bounds of non-integer numbers are checked afterwards")
        if lo is not None and lo >= 0:  # no minus sign
            unsigned = '(integral-part ("." decimal-part)? exponent? | [1-9] ("." decimal-part)? large-exponent)'
            return f"{unsigned} {self.primitive('space')}"
        return "number"

    # --------------------------------------------------------------- allOf
    def all_of_body(self, parts: list[Any], name: str, pointer: str) -> str:
        """The GBNF body of ``allOf``: the parts merged into one schema."""
        if self.all_of_depth > 12:
            # an intersection of recursive schemas that keeps unfolding: any one
            # part accepts a superset of the intersection; validation checks the rest
            self.note("allOf", pointer, "intersection of recursive schemas")
            first = parts[0]
            return (
                self.visit(first, name + "-part", pointer)
                if not isinstance(first, dict) or isinstance(first, jsonref.JsonRef)
                else self.schema_body(first, name, pointer)
            )
        self.all_of_depth += 1
        try:
            merged = merge_all_of(parts, self, pointer)
            return self.schema_body(merged, name, pointer)
        finally:
            self.all_of_depth -= 1


_JSON_TYPE_CHECKS = {
    "null": lambda v: v is None,
    "boolean": lambda v: isinstance(v, bool),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool) or isinstance(v, float) and v.is_integer(),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "string": lambda v: isinstance(v, str),
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
}


def _has_type(schema: dict[str, Any], value: Any) -> bool:
    """Whether ``value`` is of one of the schema's ``type``s (True without a ``type``)."""
    types = schema.get("type")
    if types is None:
        return True
    types = [types] if isinstance(types, str) else list(types)
    if schema.get("nullable") is True:
        types.append("null")
    return any(_JSON_TYPE_CHECKS.get(t, lambda v: True)(value) for t in types)


def _search(pattern: str, text: str) -> bool:
    try:
        return re.search(pattern, text) is not None
    except re.error:
        return False


def _has_constraints(schema: dict[str, Any]) -> bool:
    return any(k not in _ANNOTATIONS for k in schema)


def _infer_types(schema: dict[str, Any]) -> list[str]:
    keys = set(schema)
    if keys & {"properties", "additionalProperties", "required", "patternProperties", "minProperties", "maxProperties"}:
        return ["object"]
    if keys & {"items", "prefixItems", "minItems", "maxItems", "additionalItems", "uniqueItems", "contains"}:
        return ["array"]
    if keys & {"minLength", "maxLength", "pattern", "format"}:
        return ["string"]
    if keys & {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"}:
        return ["number"]
    return []


def _collect_anchors(node: Any, path: str, anchors: dict[str, str]) -> None:
    """Map plain-name fragments (draft-4 ``id: "#x"``, ``$anchor``) to JSON pointers."""
    if isinstance(node, dict):
        for key in ("id", "$id"):
            value = node.get(key)
            if isinstance(value, str) and value.startswith("#") and len(value) > 1 and not value.startswith("#/"):
                anchors.setdefault(value, "#" + path)
        anchor = node.get("$anchor")
        if isinstance(anchor, str):
            anchors.setdefault("#" + anchor, "#" + path)
        for key, value in node.items():
            if key in ("enum", "const", "examples", "default"):
                continue
            _collect_anchors(value, f"{path}/{_pointer_escape(str(key))}", anchors)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            _collect_anchors(value, f"{path}/{i}", anchors)


def _rewrite_anchor_refs(node: Any, anchors: dict[str, str]) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value in anchors:
                out[key] = anchors[value]
            elif key in ("enum", "const", "examples", "default"):
                out[key] = value
            else:
                out[key] = _rewrite_anchor_refs(value, anchors)
        return out
    if isinstance(node, list):
        return [_rewrite_anchor_refs(v, anchors) for v in node]
    return node


def _integer_bounds(schema: dict[str, Any]) -> tuple[int | None, int | None]:
    import math

    lo: int | None = None
    hi: int | None = None
    if "minimum" in schema:
        lo = math.ceil(schema["minimum"])
        if schema.get("exclusiveMinimum") is True and lo == schema["minimum"]:
            lo += 1
    if "exclusiveMinimum" in schema and not isinstance(schema["exclusiveMinimum"], bool):
        value = schema["exclusiveMinimum"]
        candidate = math.floor(value) + 1
        lo = candidate if lo is None else max(lo, candidate)
    if "maximum" in schema:
        hi = math.floor(schema["maximum"])
        if schema.get("exclusiveMaximum") is True and hi == schema["maximum"]:
            hi -= 1
    if "exclusiveMaximum" in schema and not isinstance(schema["exclusiveMaximum"], bool):
        value = schema["exclusiveMaximum"]
        candidate = math.ceil(value) - 1
        hi = candidate if hi is None else min(hi, candidate)
    if lo is not None and hi is not None and lo > hi:
        raise UnsatisfiableSchemaError(f"no integer lies between {lo} and {hi}", "minimum")
    return lo, hi


def _number_bounds(schema: dict[str, Any]) -> tuple[float | None, bool, float | None, bool]:
    lo = schema.get("minimum")
    lo_ex = schema.get("exclusiveMinimum") is True
    if "exclusiveMinimum" in schema and not isinstance(schema["exclusiveMinimum"], bool):
        lo, lo_ex = schema["exclusiveMinimum"], True
    hi = schema.get("maximum")
    hi_ex = schema.get("exclusiveMaximum") is True
    if "exclusiveMaximum" in schema and not isinstance(schema["exclusiveMaximum"], bool):
        hi, hi_ex = schema["exclusiveMaximum"], True
    return lo, lo_ex, hi, hi_ex


class KeywordNotes(Protocol):
    """Where :func:`merge_all_of` reports a keyword it cannot merge (the converter, or a stand-in)."""

    def note(self, keyword: str, pointer: str, reason: str = "") -> None:
        """Record ``keyword`` at ``pointer`` as relaxed."""


def merge_all_of(parts: list[Any], conv: KeywordNotes, pointer: str) -> dict[str, Any]:
    """Merge allOf parts into one schema (types intersected, properties and required combined).

    Conflicting keywords that cannot be merged keep the first value and are
    noted as unenforced; the validator checks the original schema.
    """
    merged: dict[str, Any] = {}
    for index, part in enumerate(parts):
        if isinstance(part, jsonref.JsonRef):
            part = part.__subject__
        if part is True:
            continue
        if part is False:
            raise UnsatisfiableSchemaError("allOf contains 'false'", "allOf", pointer)
        if not isinstance(part, dict):
            continue
        if "allOf" in part:
            part = dict(
                merge_all_of(list(part["allOf"]), conv, pointer), **{k: v for k, v in part.items() if k != "allOf"}
            )
        for key, value in part.items():
            if key in _ANNOTATIONS and key not in ("description",):
                continue
            if key not in merged:
                merged[key] = value
            elif key == "properties":
                props = dict(merged[key])
                for prop, sub in value.items():
                    props[prop] = {"allOf": [props[prop], sub]} if prop in props else sub
                merged[key] = props
            elif key == "required":
                merged[key] = list(dict.fromkeys(list(merged[key]) + list(value)))
            elif key == "type":
                a = {merged[key]} if isinstance(merged[key], str) else set(merged[key])
                b = {value} if isinstance(value, str) else set(value)
                if "number" in a and "integer" in b or "number" in b and "integer" in a:
                    a |= {"integer"}
                    b |= {"integer"}
                both = a & b
                if not both:
                    raise UnsatisfiableSchemaError(
                        f"allOf requires incompatible types {sorted(a)} and {sorted(b)}", "type", pointer
                    )
                merged[key] = sorted(both)
            elif key in ("minimum", "minLength", "minItems", "exclusiveMinimum") and not isinstance(value, bool):
                merged[key] = max(merged[key], value)
            elif key in ("maximum", "maxLength", "maxItems", "exclusiveMaximum") and not isinstance(value, bool):
                merged[key] = min(merged[key], value)
            elif key == "additionalProperties":
                if value is False or merged[key] is False:
                    merged[key] = False
                elif value is not True:
                    merged[key] = value if merged[key] is True else {"allOf": [merged[key], value]}
            elif key in ("anyOf", "oneOf", "enum", "const", "items", "pattern", "format") and merged[key] != value:
                conv.note(key, f"{pointer}/{index}/{key}", "conflicting values in allOf; the first is used")
            elif merged[key] != value and key not in ("description",):
                conv.note(key, f"{pointer}/{index}/{key}", "merged from allOf")
    return merged


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


def convert_schema(
    schema: dict[str, Any] | bool,
    *,
    prop_order: Sequence[str] | None = None,
    whitespace: str = DEFAULT_WHITESPACE,
    strict: bool = False,
    additional_properties: bool = True,
) -> ConversionResult:
    """Convert a JSON Schema (a dict; see :func:`llama_native.schema.to_json_schema`) to GBNF.

    ``additional_properties`` is what an object without an
    ``additionalProperties`` keyword allows: True (the specification) or
    False (only declared keys).  An object schema with neither
    ``properties`` nor ``patternProperties`` is free-form either way.
    """
    conv = SchemaConverter(
        prop_order=prop_order, whitespace=whitespace, strict=strict, additional_default=additional_properties
    )
    resolved = resolve_refs(schema) if isinstance(schema, dict) else schema
    try:
        root = conv.visit(resolved, "root-value", "")
    except jsonref.JsonRefError as exc:
        raise UnsupportedSchemaError(f"cannot resolve $ref: {exc}", "$ref") from None
    except RecursionError:
        raise UnsupportedSchemaError("the schema nests too deeply to convert", "") from None
    conv.primitive("space")
    conv.rules.pop("root")
    lines = [f"root ::= {_without_trailing_space(root, conv.rules)}"] + [
        f"{name} ::= {rule}" for name, rule in conv.rules.items()
    ]
    return ConversionResult("\n".join(lines) + "\n", conv.unenforced)
