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

import re
from typing import Any
from urllib.parse import quote, urldefrag, urljoin

import jsonref

from .errors import UnsupportedSchemaError
from .keywords import LITERAL_KEYWORDS


def pointer_escape(token: str) -> str:
    """``token`` escaped for use in a JSON pointer (``~`` and ``/``)."""
    return token.replace("~", "~0").replace("/", "~1")


def _local_only_loader(uri: str, **kwargs: Any) -> Any:
    raise UnsupportedSchemaError(f"remote $ref {uri!r} is not loaded (only local references are supported)", "$ref")


#: Drafts before 2019-09, in which ``$ref`` makes its sibling keywords ignored.
_LEGACY_DRAFTS = ("draft-03", "draft-04", "draft-06", "draft-07")
#: Keywords of a root that stay beside its ``$ref`` under the legacy drafts.
_DOCUMENT_KEYWORDS = ("$schema", "definitions", "$defs")


def refs_ignore_siblings(schema: Any) -> bool:
    """Whether ``schema`` declares a draft (04 to 07) in which ``$ref`` overrides the keywords beside it.

    Without ``$schema`` the 2020-12 rules apply (as in the validator), and
    keywords beside a ``$ref`` must hold too.
    """
    declared = schema.get("$schema") if isinstance(schema, dict) else None
    return isinstance(declared, str) and any(draft in declared for draft in _LEGACY_DRAFTS)


def resolve_refs(schema: Any) -> Any:
    """Replace ``$ref`` objects by lazy proxies to their targets (jsonref).

    Every reference into the document is first rewritten as a JSON pointer
    from its root: ``$id`` sets the base of the references below it (URLs
    and URNs alike), embedded resources are found by their ``$id``, and
    plain-name fragments (``$anchor``, draft-4 ``id: "#x"``) by their name.
    A ``$ref`` at the root is then moved into an ``allOf``: jsonref would
    otherwise resolve ``#/...`` pointers inside the referenced object instead
    of the document that holds the definitions.
    """
    legacy = refs_ignore_siblings(schema)
    if legacy:
        schema = _without_ids_beside_refs(schema)
    if isinstance(schema, dict):
        resources: dict[str, str] = {"": ""}
        anchors: dict[str, str] = {}
        _index_resources(schema, "", "", resources, anchors)
        schema = _rewrite_refs(schema, "", resources, anchors)
    if isinstance(schema, dict) and isinstance(schema.get("$ref"), str):
        ref = schema["$ref"]
        if legacy:
            schema = {k: v for k, v in schema.items() if k in _DOCUMENT_KEYWORDS}
        else:
            schema = {k: v for k, v in schema.items() if k != "$ref"}
        schema["allOf"] = [{"$ref": ref}] + list(schema.get("allOf", []))
    return jsonref.replace_refs(schema, loader=_local_only_loader, merge_props=False, proxies=True, lazy_load=True)


def _without_ids_beside_refs(node: Any) -> Any:
    """Before 2019-09 an ``$id`` beside ``$ref`` is ignored like every sibling: it must not move the base URI."""
    if isinstance(node, dict):
        has_ref = isinstance(node.get("$ref"), str)
        return {
            k: v if k in LITERAL_KEYWORDS else _without_ids_beside_refs(v)
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


_POINTER_SAFE = "/~!$&'()*+,;=:@"


def _join(base: str, ref: str) -> str:
    """``ref`` resolved against ``base``; a fragment joins any base, URNs included (``urljoin`` knows URLs only)."""
    if ref.startswith("#"):
        return urldefrag(base)[0] + ref
    if re.match(r"[a-zA-Z][a-zA-Z0-9+.-]*:", ref):
        return ref
    return urljoin(base, ref)


def _resource_base(node: dict[str, Any], base: str) -> tuple[str, str | None]:
    """(the base URI inside ``node``, the plain-name anchor it declares, if any)."""
    name = node.get("$anchor") if isinstance(node.get("$anchor"), str) else None
    for key in ("$id", "id"):
        value = node.get(key)
        if isinstance(value, str) and not value.startswith("#/"):
            joined, fragment = urldefrag(_join(base, value))
            if fragment and not fragment.startswith("/"):
                name = name or fragment
            return joined, name
    return base, name


def _index_resources(
    node: Any, base: str, path: str, resources: dict[str, str], anchors: dict[str, str]
) -> None:
    """Map each resource's base URI to its JSON pointer, and each ``base#name`` anchor to a pointer."""
    if isinstance(node, dict):
        inner_base, name = _resource_base(node, base)
        if inner_base != base:
            resources.setdefault(inner_base, path)
        if name:
            anchors.setdefault(f"{inner_base}#{name}", path)
        for key, value in node.items():
            if key not in LITERAL_KEYWORDS:
                _index_resources(value, inner_base, f"{path}/{pointer_escape(str(key))}", resources, anchors)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            _index_resources(value, base, f"{path}/{i}", resources, anchors)


def _local_ref(ref: str, base: str, resources: dict[str, str], anchors: dict[str, str]) -> str:
    """``ref`` as a pointer from the document's root when it points into the document; else unchanged."""
    target = _join(base, ref)
    if target in anchors:
        return "#" + quote(anchors[target], safe=_POINTER_SAFE)
    uri, fragment = urldefrag(target)
    if uri in resources and (not fragment or fragment.startswith("/")):
        return "#" + quote(resources[uri], safe=_POINTER_SAFE) + fragment
    return ref


#: A property named ``$ref`` under another name while jsonref works (it would take the
#: ``properties`` object for a reference); read names through :func:`property_name`.
_REF_PROPERTY = "\x00$ref"


def property_name(key: str) -> str:
    """A key of a resolved ``properties`` object as the document spells it."""
    return "$ref" if key == _REF_PROPERTY else key


def _rewrite_refs(node: Any, base: str, resources: dict[str, str], anchors: dict[str, str]) -> Any:
    if isinstance(node, dict):
        inner_base, _ = _resource_base(node, base)
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                out[key] = _local_ref(value, inner_base, resources, anchors)
            elif key in LITERAL_KEYWORDS:
                out[key] = value
            elif key == "properties" and isinstance(value, dict):
                out[key] = {
                    _REF_PROPERTY if name == "$ref" else name: _rewrite_refs(sub, inner_base, resources, anchors)
                    for name, sub in value.items()
                }
            else:
                out[key] = _rewrite_refs(value, inner_base, resources, anchors)
        return out
    if isinstance(node, list):
        return [_rewrite_refs(v, base, resources, anchors) for v in node]
    return node
