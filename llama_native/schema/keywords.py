"""What each JSON Schema keyword means to the converter: annotation, relaxed, or type-implying.

Example::

    >>> from llama_native.schema.keywords import implied_types, has_type
    >>> implied_types({"minLength": 2}), implied_types({"properties": {}})
    (['string'], ['object'])
    >>> has_type({"type": ["integer", "null"]}, 3.0), has_type({"type": "integer"}, "3")
    (True, False)
"""

from __future__ import annotations

from typing import Any

#: Keywords that say nothing about which values are valid.
ANNOTATIONS = frozenset(
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
#: Keywords the grammar cannot enforce: accepted as a superset, validated afterwards.
UNENFORCED = frozenset(
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
        "$dynamicRef",
        "$recursiveRef",
    }
)
#: Keywords whose values are JSON data, not schemas (never resolved, rewritten or walked).
LITERAL_KEYWORDS = frozenset({"enum", "const", "default", "examples"})
#: Every JSON type, in the order a schema without ``type`` offers them.
JSON_TYPES = ("object", "array", "string", "number", "boolean", "null")

_TYPE_CHECKS = {
    "null": lambda v: v is None,
    "boolean": lambda v: isinstance(v, bool),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool) or isinstance(v, float) and v.is_integer(),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "string": lambda v: isinstance(v, str),
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
}


def has_type(schema: dict[str, Any], value: Any) -> bool:
    """Whether ``value`` is of one of the schema's ``type``s (True without a ``type``)."""
    types = schema.get("type")
    if types is None:
        return True
    types = [types] if isinstance(types, str) else list(types)
    if schema.get("nullable") is True:
        types.append("null")
    return any(_TYPE_CHECKS.get(t, lambda v: True)(value) for t in types)


def has_constraints(schema: dict[str, Any]) -> bool:
    """Whether ``schema`` has any keyword besides annotations."""
    return any(k not in ANNOTATIONS for k in schema)


def implied_types(schema: dict[str, Any]) -> list[str]:
    """The type a schema without ``type`` is evidently about, from its keywords (``[]``: none)."""
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
