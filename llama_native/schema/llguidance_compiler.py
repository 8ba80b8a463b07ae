"""llguidance's own JSON Schema compiler: the second route, for schemas our converter refuses.

Both routes were measured on the same schemas (``python bench/bench_schemas.py
[--suite]``): our converter declares more schemas and refuses no valid
instance where llguidance's compiler refuses some, at the same mask speed
(our grammar runs on the same llguidance engine).  So ``compiler="auto"``
(the default of :func:`llama_native.schema.compile_json_schema`) uses ours,
and hands a schema to llguidance's compiler only when ours cannot read it
(a property named ``$ref``, say) and llguidance can.  ``compiler="llguidance"``
asks for it directly.

The schema goes to the native llguidance engine as Lark text
(``start: %json {...}``) with ``x-guidance`` options that match our
whitespace modes; ``prop_order`` reorders ``properties``, and objects of a
schema made from a Python type get ``additionalProperties: false`` as in our
route.  Two differences remain: llguidance also allows whitespace between a
key and its colon, and puts extra keys after the declared ones only.

Example::

    >>> from llama_native.schema.llguidance_compiler import llguidance_json_grammar
    >>> print(llguidance_json_grammar({"type": "integer"}, whitespace="compact"))
    start: %json {"type": "integer", "x-guidance": {"whitespace_flexible": false}}
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from .errors import UnsupportedSchemaError
from .keywords import LITERAL_KEYWORDS

#: ``x-guidance`` options per whitespace mode (what may stand between JSON tokens).
WHITESPACE_OPTIONS: dict[str, dict[str, Any]] = {
    "free": {"whitespace_pattern": r"(?:[ ]|\n{1,2}[ \t]{0,20})?"},
    "compact": {"whitespace_flexible": False},
    "pretty": {"whitespace_pattern": r"(?:[ ]|\n[ ]{0,40})?"},
    "lcp": {"whitespace_pattern": r"[ ]?"},
    "llama-server": {"whitespace_pattern": r"(?:[ ]|\n{1,2}[ \t]{0,20})?"},
}


def llguidance_json_grammar(
    schema: Any,
    *,
    prop_order: Sequence[str] | None = None,
    whitespace: str = "free",
    additional_properties: bool = True,
    required_first: bool = False,
) -> str:
    """Lark text that makes llguidance compile ``schema`` itself; :class:`UnsupportedSchemaError` if it refuses.

    llguidance keeps ``properties`` in the order written, so ``required_first``
    (key order ``"required-first"``) writes required ones first.
    """
    try:
        import llguidance
    except ImportError:
        raise UnsupportedSchemaError("llguidance's compiler needs the llguidance package (pip install llguidance)") \
            from None
    if not isinstance(schema, dict):
        raise UnsupportedSchemaError("llguidance's compiler takes a schema object")
    rank = {name: i for i, name in enumerate(prop_order or [])}
    prepared = _prepared(schema, rank, additional_properties, required_first)
    prepared["x-guidance"] = WHITESPACE_OPTIONS[whitespace]
    grammar = llguidance.LLMatcher.grammar_from_json_schema(prepared)
    error = llguidance.LLMatcher.validate_grammar(grammar)
    if error:
        raise UnsupportedSchemaError(f"llguidance's compiler refuses the schema: {error}")
    return "start: %json " + json.dumps(prepared, ensure_ascii=False)


def _prepared(node: Any, rank: dict[str, int], additional: bool, required_first: bool = False) -> Any:
    """``node`` with ``properties`` in ``prop_order`` (required first) and, unless ``additional``, closed objects."""
    if isinstance(node, list):
        return [_prepared(v, rank, additional, required_first) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: v if k in LITERAL_KEYWORDS else _prepared(v, rank, additional, required_first)
           for k, v in node.items()}
    properties = out.get("properties")
    if isinstance(properties, dict):
        listed = out.get("required")
        required = {k for k in listed if isinstance(k, str)} if required_first and isinstance(listed, list) else set()
        names = sorted(enumerate(properties),
                       key=lambda item: (item[1] not in required, rank.get(item[1], len(rank)), item[0]))
        out["properties"] = {name: properties[name] for _, name in names}
        if not additional and "additionalProperties" not in out:
            out["additionalProperties"] = False
    return out
