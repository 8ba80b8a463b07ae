"""``$ref`` resolution: local references become lazy proxies to their targets.

Why :mod:`jsonref` rather than our own walker: it resolves JSON pointers,
relative ids and recursion lazily, which recursive schemas need.  What it
does not do is added here: a ``$ref`` at the root (moved into ``allOf`` so
pointers resolve against the whole document), plain-name fragments
(draft-4 ``id: "#x"`` and ``$anchor``), and refusing remote documents.

Example::

    >>> from llama_native.schema.refs import resolve_refs
    >>> schema = resolve_refs({"$defs": {"age": {"type": "integer"}},
    ...                        "properties": {"a": {"$ref": "#/$defs/age"}}})
    >>> dict(schema["properties"]["a"])
    {'type': 'integer'}
"""

from __future__ import annotations

from typing import Any

import jsonref

from .errors import UnsupportedSchemaError


def pointer_escape(token: str) -> str:
    """``token`` escaped for use in a JSON pointer (``~`` and ``/``)."""
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


def ref_target(proxy: Any, pointer: str) -> Any:
    """The schema a ``$ref`` proxy points to; :class:`UnsupportedSchemaError` when it cannot be resolved."""
    try:
        return proxy.__subject__
    except Exception as exc:  # unresolvable pointer
        raise UnsupportedSchemaError(
            f"cannot resolve $ref {proxy.__reference__['$ref']!r}: {exc}", "$ref", pointer
        ) from None


_LITERAL_KEYWORDS = ("enum", "const", "examples", "default")


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
            if key in _LITERAL_KEYWORDS:
                continue
            _collect_anchors(value, f"{path}/{pointer_escape(str(key))}", anchors)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            _collect_anchors(value, f"{path}/{i}", anchors)


def _rewrite_anchor_refs(node: Any, anchors: dict[str, str]) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value in anchors:
                out[key] = anchors[value]
            elif key in _LITERAL_KEYWORDS:
                out[key] = value
            else:
                out[key] = _rewrite_anchor_refs(value, anchors)
        return out
    if isinstance(node, list):
        return [_rewrite_anchor_refs(v, anchors) for v in node]
    return node
