"""Final validation of generated JSON, and serialization in the grammar's key order.

``jsonschema`` (with its format checkers, about a second to import) is
imported on first use, not when ``llama_native`` is imported.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import jsonref

from .all_of import merge_all_of
from .ecma_regex import python_pattern, readable
from .gbnf import normalize_numbers as _normalize
from .keywords import LITERAL_KEYWORDS
from .refs import property_name, resolve_refs


class SchemaValidationError(ValueError):
    """Generated text is not JSON that validates against the schema.

    ``text`` is the generated text; ``errors`` the validator's messages.
    """

    def __init__(self, message: str, text: str, errors: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.text = text
        self.errors = list(errors)


def make_validator(schema: Any) -> Any:
    """A jsonschema validator for ``schema`` (its own draft) with format checking."""
    import jsonschema

    if isinstance(schema, bool):
        schema = {} if schema else {"not": {}}
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    # Formats are asserted, whatever the draft says: the draft's own checkers, and the
    # 2020-12 ones for formats it does not define.  (jsonschema's global FormatChecker()
    # would check "time" as draft 3 did, refusing RFC 3339 times such as 12:00:00Z.)
    checker = jsonschema.FormatChecker(formats=())
    checker.checkers = {**jsonschema.Draft202012Validator.FORMAT_CHECKER.checkers, **cls.FORMAT_CHECKER.checkers}
    return cls(validator_schema(schema), format_checker=checker)


def validator_schema(node: Any) -> Any:
    """The schema as the validator should read it, the way the grammar reads it.

    Patterns are rewritten as Python's ``re`` reads ECMA-262 ones (``\\p{L}``,
    named groups); a pattern ``re`` cannot read even so is left out (unchecked,
    rather than failing every validation).  Draft 3's ``"type": "any"`` and
    ``"required": true`` inside a property become what later drafts say.
    """
    if isinstance(node, list):
        return [validator_schema(v) for v in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in LITERAL_KEYWORDS:
            out[key] = value
        elif key == "pattern" and isinstance(value, str):
            if readable(python_pattern(value)):
                out[key] = python_pattern(value)
        elif key == "patternProperties" and isinstance(value, dict):
            out[key] = {python_pattern(k): validator_schema(v) for k, v in value.items() if readable(python_pattern(k))}
        elif key == "type" and (value == "any" or isinstance(value, list) and "any" in value):
            continue
        elif key == "required" and not isinstance(value, list):
            continue
        else:
            out[key] = validator_schema(value)
    properties = node.get("properties")
    if isinstance(properties, dict):
        lifted = [n for n, sub in properties.items() if isinstance(sub, dict) and sub.get("required") is True]
        if lifted:
            out["required"] = list(dict.fromkeys(list(out.get("required") or []) + lifted))
    return out


def _refuse_repeated_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for key, item in pairs:
        if key in value:
            raise ValueError(f"the key {key!r} appears twice in one object")
        value[key] = item
    return value


def loads_unique(text: str) -> Any:
    """``json.loads`` that refuses an object naming a key twice (parsers disagree on which value wins)."""
    return json.loads(text, object_pairs_hook=_refuse_repeated_keys)


def validate_text(validator: Any, text: str) -> Any:
    """Parse ``text`` and validate it; returns the value or raises :class:`SchemaValidationError`."""
    try:
        value = loads_unique(text)
    except ValueError as exc:
        raise SchemaValidationError(f"the output is not valid JSON: {exc}", text) from None
    try:
        errors = [
            f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in validator.iter_errors(value)
        ]
    except Exception as exc:  # e.g. multipleOf on a number too large for a float, an unknown type name
        raise SchemaValidationError(f"the output could not be validated: {exc!r}", text) from None
    if errors:
        raise SchemaValidationError("the output does not validate: " + "; ".join(errors[:3]), text, errors)
    return value


def _select(schema: Any, instance: Any, validator_cls: Any, depth: int = 0) -> dict[str, Any]:
    """The plain schema the converter's grammar uses for ``instance`` (refs, allOf, unions resolved).

    Mirrors the converter: ``allOf`` parts are merged in order (own keywords
    last), a union alternative is merged after the keywords beside it, and the
    alternative used is the first the instance validates against.
    """
    if depth > 50:
        return {}
    if isinstance(schema, jsonref.JsonRef):
        siblings = {k: v for k, v in schema.__reference__.items() if k != "$ref"}
        target = schema.__subject__
        constrained = {
            k: v for k, v in siblings.items() if k not in ("description", "title", "default", "examples", "$comment")
        }
        schema = {"allOf": [target, constrained]} if constrained else target
    if not isinstance(schema, dict):
        return {}
    if "allOf" in schema:
        rest = {k: v for k, v in schema.items() if k != "allOf"}
        parts = list(schema["allOf"]) + ([rest] if rest else [])
        try:
            merged = merge_all_of(parts, _NullNotes(), "")
        except Exception:
            return {}
        return _select(merged, instance, validator_cls, depth + 1)
    for key in ("anyOf", "oneOf"):
        for alt in schema.get(key, []) or []:
            try:
                ok = validator_cls(alt).is_valid(instance)
            except Exception:
                ok = False
            if ok:
                rest = {k: v for k, v in schema.items() if k not in ("anyOf", "oneOf")}
                try:
                    merged = merge_all_of([rest, alt], _NullNotes(), "") if rest else alt
                except Exception:
                    return {}
                return _select(merged, instance, validator_cls, depth + 1)
    return schema


def _declared_order(selected: dict[str, Any]) -> dict[str, Any]:
    """Property name -> subschema of a selected schema, in the order the grammar emits them."""
    own = {property_name(k): v for k, v in (selected.get("properties") or {}).items()}
    for k in selected.get("required", []) or []:
        own.setdefault(k, True)
    return {k: v for k, v in own.items() if v is not False}


class _NullNotes:
    """Stands in for the converter when merging allOf only to learn key order."""

    def note(self, keyword: str, pointer: str, reason: str = "") -> None:
        """Ignore it: the validator checks the original schema."""


def serialize_like_grammar(
    instance: Any,
    schema: Any,
    prop_order: Sequence[str] | None = None,
    normalize_numbers: bool = True,
    required_first: bool = False,
) -> str:
    """Compact JSON for ``instance`` with keys where the grammar puts them.

    Declared properties come in schema order (``prop_order`` first; with
    ``required_first`` the required ones before the rest), then undeclared
    ones in the instance's order.  Used to ask a grammar whether it accepts a
    known-valid instance.
    """
    rank = {name: i for i, name in enumerate(prop_order or [])}
    resolved = resolve_refs(schema) if isinstance(schema, dict) else schema
    import jsonschema

    validator_cls = jsonschema.validators.validator_for(schema if isinstance(schema, dict) else {})

    def items_schema(s: Any, index: int) -> Any:
        prefix = s.get("prefixItems")
        items = s.get("items")
        if isinstance(items, list):
            prefix, items = items, s.get("additionalItems", {})
        if prefix and index < len(prefix):
            return prefix[index]
        return items if isinstance(items, (dict, jsonref.JsonRef)) else {}

    def order(value: Any, s: Any) -> Any:
        if isinstance(value, dict):
            selected = _select(s, value, validator_cls)
            declared = _declared_order(selected)
            listed = selected.get("required") if required_first else None
            required = {k for k in listed if isinstance(k, str)} if isinstance(listed, list) else set()
            names = [n for _, n in sorted(enumerate(declared),
                                          key=lambda it: (it[1] not in required, rank.get(it[1], len(rank)), it[0]))]
            keys = [n for n in names if n in value] + [k for k in value if k not in declared]
            additional = selected.get("additionalProperties", {})
            return {
                k: order(value[k], declared.get(k, additional if isinstance(additional, dict) else {})) for k in keys
            }
        if isinstance(value, list):
            selected = _select(s, value, validator_cls)
            return [order(v, items_schema(selected, i)) for i, v in enumerate(value)]
        return value

    ordered = order(_normalize(instance) if normalize_numbers else instance, resolved)
    try:
        text = json.dumps(ordered, ensure_ascii=False, separators=(",", ":"))
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(ordered, ensure_ascii=True, separators=(",", ":"))
    return text
