"""Show the model what the grammar cannot: field descriptions, as a JSON skeleton.

A grammar constrains the *form* of the output but never shows the model a
field's ``description``.  ``object_from_schema`` turns a schema into a JSON
skeleton whose values are those descriptions (nested objects and arrays
included); ``schema_system_prompt`` wraps it in the standard instruction.
With ``return_keys=True`` the skeleton's key order is returned too, to use as
``prop_order`` so the grammar emits keys in the order the prompt shows.

Example::

    >>> schema = {"type": "object", "properties": {
    ...     "name": {"type": "string", "description": "the person's name, in UPPERCASE"},
    ...     "age": {"type": "integer", "description": "age in years"}}}
    >>> object_from_schema(schema)
    {'name': "the person's name, in UPPERCASE", 'age': 'age in years'}
"""

from __future__ import annotations

import json
from typing import Any

import jsonref

from .inputs import to_json_schema
from .refs import property_name, resolve_refs

PROMPT_PREFIX = "Generate JSON output in the following format: "


def _subject(node: Any) -> Any:
    return node.__subject__ if isinstance(node, jsonref.JsonRef) else node


def _describe(node: dict[str, Any]) -> str:
    if node.get("description"):
        return str(node["description"])
    if node.get("format"):
        return f"<{node['format']}>"
    if "enum" in node:
        return "one of " + ", ".join(json.dumps(v) for v in node["enum"])
    if "const" in node:
        return json.dumps(node["const"])
    t = node.get("type")
    if isinstance(t, list):
        t = " or ".join(t)
    return f"<{t or 'value'}>"


def _skeleton(node: Any, keys: list[str], seen: tuple[int, ...]) -> Any:
    node = _subject(node)
    if not isinstance(node, dict):
        return "<value>"
    if id(node) in seen:  # recursive schema: describe, do not expand
        return _describe(node)
    seen = seen + (id(node),)
    if "allOf" in node:
        merged: dict[str, Any] = {}
        for part in node["allOf"]:
            sub = _skeleton(part, keys, seen)
            if isinstance(sub, dict):
                merged.update(sub)
        if merged:
            return merged
    for combinator in ("anyOf", "oneOf"):
        if combinator in node:
            options = [_subject(o) for o in node[combinator]]
            non_null = [o for o in options if not (isinstance(o, dict) and o.get("type") == "null")]
            if len(non_null) == 1:
                value = _skeleton(non_null[0], keys, seen)
                if isinstance(value, str) and node.get("description"):
                    return str(node["description"])
                return value
            return (
                _describe(node)
                if node.get("description")
                else " or ".join(_describe(o) for o in options if isinstance(o, dict))
            )
    t = node.get("type")
    if t == "object" or "properties" in node:
        out: dict[str, Any] = {}
        for key, sub in (node.get("properties") or {}).items():
            name = property_name(key)
            if name not in keys:
                keys.append(name)
            out[name] = _skeleton(sub, keys, seen)
        return out
    if t == "array" or "items" in node:
        items = node.get("items")
        if isinstance(items, (dict, jsonref.JsonRef)):
            inner = _skeleton(items, keys, seen)
            if isinstance(inner, str) and node.get("description"):
                return [f"{node['description']}: {inner}"] if inner.startswith("<") else [inner]
            return [inner]
        return [_describe(node)]
    return _describe(node)


def object_from_schema(schema: Any, return_keys: bool = False) -> Any | tuple[Any, list[str]]:
    """JSON skeleton of ``schema`` with field descriptions as values (and the key order)."""
    resolved = resolve_refs(to_json_schema(schema))
    keys: list[str] = []
    skeleton = _skeleton(resolved, keys, ())
    return (skeleton, keys) if return_keys else skeleton


def schema_system_prompt(schema: Any) -> str:
    """The standard system-prompt text: ``Generate JSON output in the following format: {...}``.

    Example::

        >>> schema_system_prompt({"type": "object", "properties": {"a": {"description": "first letter"}}})
        'Generate JSON output in the following format: {"a": "first letter"}'
    """
    return PROMPT_PREFIX + json.dumps(object_from_schema(schema), ensure_ascii=False)
