"""``allOf``: the parts merged into one schema the grammar can enforce.

Types are intersected, properties and ``required`` combined, bounds
tightened.  Keywords that cannot be merged keep the first value and are
reported, so the validator checks the original schema.

Example::

    >>> from llama_native.schema.all_of import merge_all_of
    >>> class Notes:
    ...     def note(self, keyword, pointer, reason=""):
    ...         print("relaxed:", keyword, reason)
    >>> merge_all_of([{"type": "number", "minimum": 0}, {"type": "integer", "minimum": 5},
    ...               {"pattern": "a"}, {"pattern": "b"}], Notes(), "")
    relaxed: pattern conflicting values in allOf; the first is used
    {'type': ['integer'], 'minimum': 5, 'pattern': 'a'}
"""

from __future__ import annotations

from typing import Any, Protocol

import jsonref

from .errors import UnsatisfiableSchemaError
from .keywords import ANNOTATIONS


class KeywordNotes(Protocol):
    """Where :func:`merge_all_of` reports a keyword it cannot merge (the normaliser, or a stand-in)."""

    def note(self, keyword: str, pointer: str, reason: str = "") -> None:
        """Record ``keyword`` at ``pointer`` as relaxed."""


def merge_all_of(parts: list[Any], notes: KeywordNotes, pointer: str) -> dict[str, Any]:
    """Merge allOf parts into one schema (types intersected, properties and required combined).

    Conflicting keywords that cannot be merged keep the first value and are
    noted as unenforced; the validator checks the original schema.
    """
    merged: dict[str, Any] = {}
    closed: list[tuple[int, dict[str, Any]]] = []  # parts whose additionalProperties limits their own keys
    for index, part in enumerate(parts):
        if isinstance(part, jsonref.JsonRef):
            part = part.__subject__
        if part is True:
            continue
        if part is False:
            raise UnsatisfiableSchemaError("allOf contains 'false'", "allOf", pointer)
        if not isinstance(part, dict):
            continue
        if "additionalItems" in part and not isinstance(part.get("items"), list):
            # additionalItems means something only beside an items list of the same schema
            part = {k: v for k, v in part.items() if k != "additionalItems"}
        if "allOf" in part:
            part = dict(
                merge_all_of(list(part["allOf"]), notes, pointer), **{k: v for k, v in part.items() if k != "allOf"}
            )
        if part.get("additionalProperties", True) not in (True, {}):
            closed.append((index, part))
        for key, value in part.items():
            if key in ANNOTATIONS and key not in ("description",):
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
                merged[key] = _intersect_types(merged[key], value, pointer)
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
                notes.note(key, f"{pointer}/{index}/{key}", "conflicting values in allOf; the first is used")
            elif merged[key] != value and key not in ("description",):
                notes.note(key, f"{pointer}/{index}/{key}", "merged from allOf")
    for index, part in closed:
        # additionalProperties looks at its own schema's properties only: keys another
        # part declares are "additional" to this one, which the merged grammar cannot say
        if set(merged.get("properties") or {}) - set(part.get("properties") or {}) or set(
            merged.get("patternProperties") or {}
        ) - set(part.get("patternProperties") or {}):
            notes.note("additionalProperties", f"{pointer}/{index}/additionalProperties", "per part of an allOf")
    return merged


def _intersect_types(first: Any, second: Any, pointer: str) -> list[str]:
    a = {first} if isinstance(first, str) else set(first)
    b = {second} if isinstance(second, str) else set(second)
    if "number" in a and "integer" in b or "number" in b and "integer" in a:
        a |= {"integer"}
        b |= {"integer"}
    both = a & b
    if not both:
        message = f"allOf requires incompatible types {sorted(a)} and {sorted(b)}"
        raise UnsatisfiableSchemaError(message, "type", pointer)
    return sorted(both)
