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
from urllib.parse import urldefrag, urljoin

import jsonref

from .errors import UnsupportedSchemaError


def pointer_escape(token: str) -> str:
    """``token`` escaped for use in a JSON pointer (``~`` and ``/``)."""
    return token.replace("~", "~0").replace("/", "~1")


def _local_only_loader(uri: str, **kwargs: Any) -> Any:
    raise UnsupportedSchemaError(f"remote $ref {uri!r} is not loaded (only local references are supported)", "$ref")


#: Drafts before 2019-09, in which ``$ref`` makes its sibling keywords ignored.
_LEGACY_DRAFTS = ("draft-03", "draft-04", "draft-06", "draft-07")
#: Keywords of a root that stay beside its ``$ref`` under the legacy drafts.
_DOCUMENT_KEYWORDS = ("$schema", "$id", "id", "definitions", "$defs")


def refs_ignore_siblings(schema: Any) -> bool:
    """Whether ``schema`` declares a draft (04 to 07) in which ``$ref`` overrides the keywords beside it.

    Without ``$schema`` the 2020-12 rules apply (as in the validator), and
    keywords beside a ``$ref`` must hold too.
    """
    declared = schema.get("$schema") if isinstance(schema, dict) else None
    return isinstance(declared, str) and any(draft in declared for draft in _LEGACY_DRAFTS)


def resolve_refs(schema: Any) -> Any:
    """Replace ``$ref`` objects by lazy proxies to their targets (jsonref).

    A ``$ref`` at the root is moved into an ``allOf`` first: jsonref would
    otherwise resolve ``#/...`` pointers inside the referenced object instead
    of the document that holds the definitions.  ``$id`` sets the base of the
    references below it, and subschemas with an ``$id`` are found by it.
    """
    if isinstance(schema, dict):
        anchors: dict[str, str] = {}
        _collect_anchors(schema, "", anchors)
        if anchors:
            schema = _rewrite_anchor_refs(schema, anchors)
    if refs_ignore_siblings(schema):
        schema = _without_ids_beside_refs(schema)
    if isinstance(schema, dict) and isinstance(schema.get("$ref"), str):
        ref = schema["$ref"]
        if refs_ignore_siblings(schema):
            schema = {k: v for k, v in schema.items() if k in _DOCUMENT_KEYWORDS and k not in ("$id", "id")}
        else:
            schema = {k: v for k, v in schema.items() if k != "$ref"}
        schema["allOf"] = [{"$ref": ref}] + list(schema.get("allOf", []))
    return jsonref.replace_refs(
        schema, loader=_local_only_loader, merge_props=False, proxies=True, lazy_load=True, jsonschema=True
    )


def _without_ids_beside_refs(node: Any) -> Any:
    """Before 2019-09 an ``$id`` beside ``$ref`` is ignored like every sibling: it must not move the base URI."""
    if isinstance(node, dict):
        has_ref = isinstance(node.get("$ref"), str)
        return {
            k: v if k in _LITERAL_KEYWORDS else _without_ids_beside_refs(v)
            for k, v in node.items()
            if not (has_ref and k in ("$id", "id") and isinstance(v, str))
        }
    if isinstance(node, list):
        return [_without_ids_beside_refs(v) for v in node]
    return node


def plain_value(value: Any) -> Any:
    """A JSON value from a resolved schema with any ``$ref`` proxy inside turned back into its object.

    ``enum`` and ``const`` values are data, not schemas: ``{"$ref": "#/x"}``
    there is an object with a ``$ref`` key.
    """
    if isinstance(value, jsonref.JsonRef):
        return plain_value(value.__reference__)
    if isinstance(value, dict):
        return {k: plain_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain_value(v) for v in value]
    return value


def ref_target(proxy: Any, pointer: str) -> Any:
    """The schema a ``$ref`` proxy points to; :class:`UnsupportedSchemaError` when it cannot be resolved."""
    try:
        return proxy.__subject__
    except Exception as exc:  # unresolvable pointer
        raise UnsupportedSchemaError(
            f"cannot resolve $ref {proxy.__reference__['$ref']!r}: {exc}", "$ref", pointer
        ) from None


_LITERAL_KEYWORDS = ("enum", "const", "examples", "default")


def _resource_base(node: dict[str, Any], base: str) -> tuple[str, str | None]:
    """(the base URI inside ``node``, the plain-name anchor its ``$id``/``id`` declares, if any)."""
    name = node.get("$anchor") if isinstance(node.get("$anchor"), str) else None
    for key in ("$id", "id"):
        value = node.get(key)
        if isinstance(value, str) and not value.startswith("#/"):
            joined, fragment = urldefrag(urljoin(base, value))
            if fragment and not fragment.startswith("/"):
                name = name or fragment
            return joined, name
    return base, name


def _collect_anchors(
    node: Any, path: str, anchors: dict[str, str], base: str = "", resource_path: str = ""
) -> None:
    """Map absolute plain-name references (``$anchor``, draft-4 ``id: "#x"``) to JSON pointers in their resource."""
    if isinstance(node, dict):
        inner_base, name = _resource_base(node, base)
        if inner_base != base:
            resource_path = path
        if name:
            anchors.setdefault(f"{inner_base}#{name}", f"{inner_base}#{path[len(resource_path):]}")
        for key, value in node.items():
            if key not in _LITERAL_KEYWORDS:
                _collect_anchors(value, f"{path}/{pointer_escape(str(key))}", anchors, inner_base, resource_path)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            _collect_anchors(value, f"{path}/{i}", anchors, base, resource_path)


def _rewrite_anchor_refs(node: Any, anchors: dict[str, str], base: str = "") -> Any:
    if isinstance(node, dict):
        inner_base, _ = _resource_base(node, base)
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and urljoin(inner_base, value) in anchors:
                out[key] = anchors[urljoin(inner_base, value)]
            elif key in _LITERAL_KEYWORDS:
                out[key] = value
            else:
                out[key] = _rewrite_anchor_refs(value, anchors, inner_base)
        return out
    if isinstance(node, list):
        return [_rewrite_anchor_refs(v, anchors, base) for v in node]
    return node
