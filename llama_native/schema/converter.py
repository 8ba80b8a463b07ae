"""JSON Schema to GBNF: the grammar of every JSON text that validates.

Why our own converter: llama.cpp's converter is C++ outside its C API (and
the Python port was removed upstream); llama-cpp-python's copy orders
required keys before optional ones, treats patterns as anchored and allows
free whitespace.  This one keeps keys in the schema's order (or
``prop_order``), lets the model choose bounded whitespace (or none), follows the specification for
unanchored patterns and absent ``additionalProperties``, and records every
keyword it cannot enforce so generation checks it with ``jsonschema``
wherever the value would end (or, with ``strict=True``, refuses the schema).

It works in two phases, as llguidance and xgrammar do:
:func:`~.normalize.normalize_schema` turns the raw schema into the typed
nodes of :mod:`.nodes` (``$ref`` resolved with :mod:`jsonref`, local
references only, recursion allowed; ``allOf`` merged; types inferred;
unsatisfiable branches dropped), then :func:`~.emit.emit_rules` writes
each node as rules (expression trees of :mod:`.gexpr`), printed once as
GBNF and, for llguidance, as its Lark (:mod:`.lark`).

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

Example::

    >>> from llama_native.schema.converter import convert_schema
    >>> result = convert_schema({"type": "integer", "multipleOf": 5, "maximum": 20}, whitespace="compact")
    >>> print(result.gbnf.splitlines()[0])
    root ::= ("-" [1-9] [0-9]{0,15} | [0-9] | ([1] [0-9] | [2] "0"))
    >>> result.unenforced
    [Unenforced(keyword='multipleOf', pointer='/multipleOf', reason='')]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import jsonref

from .emit import emit_rules, rules_gbnf
from .errors import StrictModeError, Unenforced, UnsatisfiableSchemaError, UnsupportedSchemaError
from .gexpr import Expr
from .json_rules import DEFAULT_WHITESPACE, SPACE_RULES, WHITESPACE_MODES
from .lark import available as lark_available
from .lark import memoized_lark
from .normalize import normalize_schema

__all__ = [
    "DEFAULT_WHITESPACE",
    "SPACE_RULES",
    "WHITESPACE_MODES",
    "ConversionResult",
    "StrictModeError",
    "Unenforced",
    "UnsatisfiableSchemaError",
    "UnsupportedSchemaError",
    "convert_schema",
]


@dataclass
class ConversionResult:
    """The grammar plus what the grammar alone does not guarantee.

    ``rules``: the grammar's rules as expression trees (:mod:`.gexpr`), from
    which ``gbnf`` was printed and :meth:`lark` prints llguidance's form.
    """

    gbnf: str
    unenforced: list[Unenforced] = field(default_factory=list)
    rules: dict[str, Expr] | None = None

    def lark(self) -> str | None:
        """Llguidance's Lark form of the same grammar (None without llguidance or the rules)."""
        if self.rules is None or not lark_available():
            return None
        return memoized_lark(self.gbnf, self.rules)


def convert_schema(
    schema: dict[str, Any] | bool,
    *,
    prop_order: Sequence[str] | None = None,
    whitespace: str = DEFAULT_WHITESPACE,
    strict: bool = False,
    additional_properties: bool = True,
    key_order: str = "schema",
) -> ConversionResult:
    """Convert a JSON Schema (a dict; see :func:`llama_native.schema.to_json_schema`) to GBNF.

    ``additional_properties`` is what an object without an
    ``additionalProperties`` keyword allows: True (the specification) or
    False (only declared keys).  An object schema with neither
    ``properties`` nor ``patternProperties`` is free-form either way.
    ``key_order`` is ``"schema"`` (declared keys in order, other keys anywhere
    between them) or ``"any"``.
    """
    if whitespace not in WHITESPACE_MODES:
        raise ValueError(f"whitespace must be one of {WHITESPACE_MODES}, got {whitespace!r}")
    try:
        normalized = normalize_schema(
            schema,
            prop_order=prop_order,
            strict=strict,
            additional_properties=additional_properties,
            key_order=key_order,
        )
        # a value checked where it ends (unenforced keywords) gets no trailing whitespace, even in "lcp":
        # the end check must see the value end, not a space that leaves no valid way on
        rules = emit_rules(normalized, whitespace, trailing_space=not normalized.unenforced)
        gbnf = rules_gbnf(rules)
    except jsonref.JsonRefError as exc:
        raise UnsupportedSchemaError(f"cannot resolve $ref: {exc}", "$ref") from None
    except RecursionError:
        raise UnsupportedSchemaError("the schema nests too deeply to convert", "") from None
    return ConversionResult(gbnf, normalized.unenforced, rules)
