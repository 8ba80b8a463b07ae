"""Phase one of conversion: a raw JSON Schema to the typed nodes of :mod:`.nodes`.

Everything that is about *meaning* happens here: ``$ref`` targets become
:class:`~.nodes.Ref` definitions (recursion allowed), ``allOf`` parts are
merged, a missing ``type`` is inferred from the keywords, branches that
accept no value are dropped (an ``anyOf`` alternative, an optional
property), and every keyword the grammar can only approximate is recorded
(or, with ``strict=True``, refused).  Phase two (:mod:`.emit`) only writes
grammar for what the nodes say.

Example::

    >>> from llama_native.schema.normalize import normalize_schema
    >>> result = normalize_schema({"anyOf": [{"type": "integer", "minimum": 3, "maximum": 1},
    ...                                      {"type": "string", "format": "color"}]})
    >>> result.root
    Alternatives(alternatives=[('1', StringType(min_length=0, max_length=None, pattern=None, format=None))])
    >>> [(u.keyword, u.reason) for u in result.unenforced]
    [('format', "format 'color' has no grammar")]
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import jsonref

from .all_of import merge_all_of
from .bounds import integer_bounds, number_bounds
from .ecma_regex import python_pattern
from .errors import StrictModeError, Unenforced, UnsatisfiableSchemaError, UnsupportedSchemaError
from .gbnf import MAX_REPETITION
from .json_rules import FORMAT_RULES
from .keywords import ANNOTATIONS, JSON_TYPES, UNENFORCED, has_constraints, has_type, implied_types
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
    PatternProperty,
    Property,
    Ref,
    StringType,
)
from .ref_cycles import break_bare_cycles
from .refs import plain_value, pointer_escape, property_name, ref_target, refs_ignore_siblings, resolve_refs
from .regex import UnsupportedPattern, pattern_to_gbnf, pattern_with_length

T = TypeVar("T")
#: ``schema``: declared keys in the schema's (or ``prop_order``'s) order, other keys
#: after them; ``any``: declared and other keys in any order; ``required-first``: as
#: ``schema`` but the required keys before the optional ones (llama-cpp-python's and
#: llama.cpp's converters' placement).
KEY_ORDERS = ("schema", "any", "required-first")
ANY = AnyValue()
#: How deep ``allOf`` of recursive schemas may unfold before one part stands for the intersection.
MAX_ALL_OF_DEPTH = 12


def normalize_schema(
    schema: Any,
    *,
    prop_order: Sequence[str] | None = None,
    strict: bool = False,
    additional_properties: bool = True,
    key_order: str = "schema",
) -> NormalizedSchema:
    """``schema`` (a dict or a boolean, ``$ref`` not yet resolved) as typed nodes.

    ``prop_order`` puts those keys first in every object; ``additional_properties``
    is what an object with declared properties but no ``additionalProperties``
    keyword allows.  Raises :class:`~.errors.UnsatisfiableSchemaError` when no
    value validates, :class:`~.errors.StrictModeError` under ``strict`` for a
    keyword the grammar would relax.  ``key_order="any"`` lets declared keys
    come in any order (the end check then holds ``required`` and refuses
    repeated keys); ``"required-first"`` puts required keys before the optional
    ones, each group in the order above (llama-cpp-python's ``SchemaConverter``).
    """
    if key_order not in KEY_ORDERS:
        raise ValueError(f"key_order must be one of {KEY_ORDERS}, got {key_order!r}")
    normalizer = Normalizer(
        prop_order=prop_order,
        strict=strict,
        additional_default=additional_properties,
        any_key_order=key_order == "any",
        required_first=key_order == "required-first",
        refs_ignore_siblings=refs_ignore_siblings(schema),
    )
    resolved = resolve_refs(schema) if isinstance(schema, dict) else schema
    root = normalizer.node(resolved, "")
    break_bare_cycles(normalizer.definitions)
    return NormalizedSchema(root, normalizer.definitions, normalizer.unenforced)


class Normalizer:
    """Turns schema objects into nodes; use :func:`normalize_schema` rather than this class directly."""

    def __init__(
        self,
        *,
        prop_order: Sequence[str] | None,
        strict: bool,
        additional_default: bool = True,
        any_key_order: bool = False,
        required_first: bool = False,
        refs_ignore_siblings: bool = False,
    ) -> None:
        self.prop_order = {name: i for i, name in enumerate(prop_order or [])}
        self.strict = strict
        self.additional_default = additional_default
        self.any_key_order = any_key_order
        self.required_first = required_first
        self.refs_ignore_siblings = refs_ignore_siblings
        self.definitions: dict[str, Definition] = {}
        self.unenforced: list[Unenforced] = []
        self.all_of_depth = 0

    # ----------------------------------------------------------- bookkeeping
    def note(self, keyword: str, pointer: str, reason: str = "") -> None:
        """Record a keyword the grammar relaxes; refuse it under ``strict``."""
        if self.strict:
            raise StrictModeError(
                f"the grammar cannot enforce this keyword{': ' + reason if reason else ''}", keyword, pointer
            )
        self.unenforced.append(Unenforced(keyword, pointer, reason))

    def if_satisfiable(self, build: Callable[[], T]) -> tuple[T | None, str]:
        """``(build(), "")``, or ``(None, reason)`` with notes and definitions rolled back when nothing validates."""
        definitions, notes = dict(self.definitions), len(self.unenforced)
        try:
            return build(), ""
        except UnsatisfiableSchemaError as exc:
            self.definitions = definitions
            del self.unenforced[notes:]
            return None, str(exc)

    # ----------------------------------------------------------------- nodes
    def node(self, schema: Any, pointer: str) -> Node:
        """The node of any subschema: a boolean, an object, or a ``$ref`` proxy."""
        if isinstance(schema, jsonref.JsonRef):
            return self.ref(schema, pointer)
        if schema is True or schema == {}:
            return ANY
        if schema is False:
            raise UnsatisfiableSchemaError("the schema 'false' accepts no value", "false", pointer)
        if not isinstance(schema, dict):
            raise UnsupportedSchemaError(
                f"a schema must be an object or a boolean, got {type(schema).__name__}", "type", pointer
            )
        return self.schema_object(schema, pointer)

    def ref(self, proxy: Any, pointer: str) -> Node:
        """A ``$ref``: one definition per target (recursion allowed), merged with sibling keywords."""
        reference = proxy.__reference__
        siblings = {k: v for k, v in reference.items() if k != "$ref" and k not in ANNOTATIONS}
        if siblings and not self.refs_ignore_siblings:  # $ref beside other keywords (2019-09+): both must hold
            return self.all_of([ref_target(proxy, pointer), siblings], pointer)
        key = getattr(proxy, "full_uri", None) or reference["$ref"]
        if key not in self.definitions:
            fragment = reference["$ref"].split("#")[-1]
            definition = self.definitions[key] = Definition(fragment.split("/")[-1] or "root-ref")
            target = ref_target(proxy, pointer)
            definition.node = (
                self.schema_object(target, pointer)
                if isinstance(target, dict) and not isinstance(target, jsonref.JsonRef)
                else self.node(target, pointer)
            )
        return Ref(key)

    def schema_object(self, schema: dict[str, Any], pointer: str) -> Node:
        """A schema object: its combinators, enum/const, or its type(s)."""
        for keyword in schema:
            if keyword in UNENFORCED:
                self.note(keyword, f"{pointer}/{pointer_escape(keyword)}")
        if "$ref" in schema and not isinstance(schema, jsonref.JsonRef):
            raise UnsupportedSchemaError(f"unresolved $ref {schema['$ref']!r}", "$ref", pointer)
        if "allOf" in schema:
            rest = {k: v for k, v in schema.items() if k != "allOf"}
            parts = list(schema["allOf"]) + ([rest] if has_constraints(rest) else [])
            return self.all_of(parts, f"{pointer}/allOf")
        for union_kw in ("anyOf", "oneOf"):
            if union_kw in schema:
                return self.union(schema, union_kw, pointer)
        if "const" in schema or "enum" in schema:
            # the listed values, less those the schema's other keywords reject
            keyword = "const" if "const" in schema else "enum"
            values = [plain_value(schema["const"])] if keyword == "const" else plain_value(list(schema["enum"]))
            values = [v for v in values if has_type(schema, v)]
            if not values:
                raise UnsatisfiableSchemaError("no value of the enum/const satisfies the schema", "enum", pointer)
            if any(has_unordered_object(v) for v in values):
                self.note(keyword, f"{pointer}/{keyword}", "objects may list their keys in any order")
            return Literals(values)
        types = schema.get("type")
        if types is None:
            # No "type": every JSON type is allowed; keywords constrain only
            # their own type. The implied type goes first (models expect it).
            implied = implied_types(schema)
            types = implied + [t for t in JSON_TYPES if t not in implied] if implied else []
        types = [types] if isinstance(types, str) else list(types)
        if schema.get("nullable") is True and "null" not in types:
            types.append("null")
        if not types or "any" in types:  # draft 3's "any"
            return ANY
        if len(types) == 1:
            return self.typed(schema, types[0], pointer)
        return Alternatives([(t, self.typed(schema, t, pointer)) for t in types])

    def union(self, schema: dict[str, Any], union_kw: str, pointer: str) -> Node:
        """``anyOf``/``oneOf``: the alternatives that can hold, each merged with the keywords beside it."""
        if union_kw == "oneOf":
            self.note("oneOf", f"{pointer}/oneOf", "exclusivity of the alternatives")
        rest = {k: v for k, v in schema.items() if k not in ("anyOf", "oneOf")}
        alternatives: list[tuple[str, Node]] = []
        problems = []
        for i, alt in enumerate(schema[union_kw]):
            alt_pointer = f"{pointer}/{union_kw}/{i}"
            if alt is False:
                continue
            if has_constraints(rest):
                node, problem = self.if_satisfiable(lambda: self.all_of([rest, alt], alt_pointer))
            else:
                node, problem = self.if_satisfiable(lambda: self.node(alt, alt_pointer))
            if node is None:
                problems.append(problem)  # an unsatisfiable alternative matches nothing: left out
            else:
                alternatives.append((str(i), node))
        if not alternatives:
            raise UnsatisfiableSchemaError(
                f"no alternative of {union_kw} can be satisfied: {'; '.join(problems)}", union_kw, pointer
            )
        return Alternatives(alternatives)

    def typed(self, schema: dict[str, Any], type_name: str, pointer: str) -> Node:
        """``schema`` restricted to one JSON type."""
        if type_name == "object":
            return self.object(schema, pointer)
        if type_name == "array":
            return self.array(schema, pointer)
        if type_name == "string":
            return self.string(schema, pointer)
        if type_name == "integer":
            return IntegerType(*integer_bounds(schema))
        if type_name == "number":
            return self.number(schema, pointer)
        if type_name == "boolean":
            return BooleanType()
        if type_name == "null":
            return NullType()
        raise UnsupportedSchemaError(f"unknown type {type_name!r}", "type", pointer)

    # ------------------------------------------------------------- objects
    def ordered(self, names: list[str]) -> list[str]:
        """``names`` with the ``prop_order`` keys first, the rest in schema order."""
        rank = self.prop_order
        return [n for _, n in sorted(enumerate(names), key=lambda item: (rank.get(item[1], len(rank)), item[0]))]

    def object(self, schema: dict[str, Any], pointer: str) -> ObjectType:
        """An object: declared keys in order, required or optional, then the keys it allows besides."""
        properties: dict[str, Any] = {property_name(k): v for k, v in (schema.get("properties") or {}).items()}
        listed = schema.get("required")
        # draft 3 marks a property required inside its own schema ("required": true)
        draft3 = [name for name, sub in properties.items() if isinstance(sub, dict) and sub.get("required") is True]
        required_list = list(dict.fromkeys((listed if isinstance(listed, list) else []) + draft3))
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
        declared: list[Property] = []
        for prop in self.ordered(list(properties)):
            prop_pointer = f"{pointer}/properties/{pointer_escape(prop)}"
            value, problem = self.if_satisfiable(lambda: self.node(properties[prop], prop_pointer))
            if value is None:
                if prop in required:
                    raise UnsatisfiableSchemaError(
                        f"required property {prop!r} accepts no value: {problem}", "required", pointer
                    )
                forbidden.append(prop)  # no value is allowed, so the property cannot appear
                continue
            declared.append(Property(prop, value, prop in required))
        if self.required_first:  # stable: each group keeps the schema's (prop_order's) order
            declared.sort(key=lambda p: not p.required)
        by_pattern = []
        for pattern, sub in (schema.get("patternProperties") or {}).items():
            if sub is False:
                continue
            sub_pointer = f"{pointer}/patternProperties/{pointer_escape(pattern)}"
            by_pattern.append(PatternProperty(pattern if _key_pattern_has_grammar(pattern) else None,
                                              self.node(sub, sub_pointer)))
        # an object that declares no properties at all is free-form whatever the default
        has_declared = "properties" in schema or "patternProperties" in schema
        additional = schema.get("additionalProperties", self.additional_default if has_declared else True)
        other_values: Node | None = None
        if additional is not False:
            other_values = (
                self.node(additional, f"{pointer}/additionalProperties")
                if additional is not True and additional != {}
                else ANY
            )
        if self.any_key_order and declared:
            self.note("properties", f"{pointer}/properties", "keys in any order: required and repeated keys")
        return ObjectType(
            declared, by_pattern, other_values, [p.name for p in declared] + forbidden, any_order=self.any_key_order
        )

    # -------------------------------------------------------------- arrays
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

    def array(self, schema: dict[str, Any], pointer: str) -> ArrayType:
        """An array: prefix items, then items within minItems/maxItems."""
        items = schema.get("items")
        prefix = schema.get("prefixItems")
        if isinstance(items, list):  # draft 4-7 tuple form
            prefix, items = items, schema.get("additionalItems", True)
        min_items, max_items = self.count_bounds(schema, "minItems", "maxItems", pointer)
        prefix_nodes: list[Node] = []
        for i, sub in enumerate(prefix or []):
            if max_items is not None and i >= max_items:
                break
            node, problem = self.if_satisfiable(lambda: self.node(sub, f"{pointer}/prefixItems/{i}"))
            if node is None:  # nothing may stand at index i: the array ends before it
                if min_items > i:
                    raise UnsatisfiableSchemaError(f"item {i} accepts no value: {problem}", "minItems", pointer)
                max_items = i
                break
            prefix_nodes.append(node)
        if items is None or items is True or items == {}:
            item_node: Node | None = ANY
        elif items is False:
            item_node = None
        else:
            item_node = self.node(items, f"{pointer}/items")
        if max_items is not None and len(prefix_nodes) >= max_items:
            prefix_nodes, item_node = prefix_nodes[:max_items], None
        return ArrayType(prefix_nodes, item_node, min_items, max_items)

    # ------------------------------------------------------------- strings
    def string(self, schema: dict[str, Any], pointer: str) -> StringType:
        """A string: length bounds, pattern or format (what the grammar cannot combine is noted)."""
        min_len = schema.get("minLength", 0)
        max_len = schema.get("maxLength")
        pattern = schema.get("pattern")
        fmt = schema.get("format")
        if pattern is not None:
            try:
                _body, exact = pattern_to_gbnf(pattern)
            except UnsupportedPattern as exc:
                self.note("pattern", f"{pointer}/pattern", str(exc))
            except ValueError as exc:
                raise UnsupportedSchemaError(str(exc), "pattern", pointer) from None
            else:
                if not exact:
                    self.note("pattern", f"{pointer}/pattern", f"repetition bounds above {MAX_REPETITION}")
                length: tuple[int, int | None] = (0, None)
                if min_len or max_len is not None:
                    try:
                        combined = pattern_with_length(pattern, int(min_len), None if max_len is None else int(max_len))
                    except ValueError as exc:
                        raise UnsatisfiableSchemaError(str(exc), "pattern", pointer) from None
                    if combined is not None and exact:
                        length = (int(min_len), None if max_len is None else int(max_len))
                    else:
                        self.note(
                            "maxLength" if max_len is not None else "minLength",
                            pointer,
                            "length together with a pattern",
                        )
                if fmt:
                    self.note("format", f"{pointer}/format", "format together with a pattern")
                return StringType(length[0], length[1], pattern=pattern)
        if fmt is not None and fmt in FORMAT_RULES:
            if min_len or max_len is not None:
                self.note("maxLength" if max_len is not None else "minLength", pointer, "length together with a format")
            if fmt in ("email", "uri"):
                self.note("format", f"{pointer}/format", f"{fmt} is a loose superset in the grammar")
            return StringType(format=fmt)
        if fmt is not None:
            self.note("format", f"{pointer}/format", f"format {fmt!r} has no grammar")
        return StringType(*self.count_bounds(schema, "minLength", "maxLength", pointer))

    # ------------------------------------------------------------- numbers
    def number(self, schema: dict[str, Any], pointer: str) -> NumberType:
        """A number: the grammar holds ``minimum: 0`` exactly; other bounds are checked at the end."""
        lo, lo_exclusive, hi, _hi_exclusive = number_bounds(schema)
        if lo is None and hi is None:
            return NumberType()
        if not (lo == 0 and not lo_exclusive and hi is None):
            for keyword in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"):
                if keyword in schema and not isinstance(schema[keyword], bool):
                    self.note(keyword, f"{pointer}/{keyword}", "bounds of non-integer numbers are checked afterwards")
        return NumberType(non_negative=lo is not None and lo >= 0)

    # --------------------------------------------------------------- allOf
    def all_of(self, parts: list[Any], pointer: str) -> Node:
        """``allOf``: the parts merged into one schema."""
        if self.all_of_depth > MAX_ALL_OF_DEPTH:
            # an intersection of recursive schemas that keeps unfolding: any one
            # part accepts a superset of the intersection; validation checks the rest
            self.note("allOf", pointer, "intersection of recursive schemas")
            return self.node(parts[0], pointer)
        self.all_of_depth += 1
        try:
            return self.schema_object(merge_all_of(parts, self, pointer), pointer)
        finally:
            self.all_of_depth -= 1


def has_unordered_object(value: Any) -> bool:
    """Whether ``value`` holds an object with two keys or more (whose keys a document may list in any order)."""
    if isinstance(value, dict):
        return len(value) > 1 or any(has_unordered_object(v) for v in value.values())
    if isinstance(value, list):
        return any(has_unordered_object(v) for v in value)
    return False


def _search(pattern: str, text: str) -> bool:
    try:
        return re.search(python_pattern(pattern), text) is not None
    except re.error:
        return False


def _key_pattern_has_grammar(pattern: str) -> bool:
    try:
        pattern_to_gbnf(pattern)
    except ValueError:
        return False
    return True
