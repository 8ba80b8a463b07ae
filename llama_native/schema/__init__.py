"""JSON Schema (or a pydantic model / TypedDict) to a GBNF grammar, plus validation.

Example::

    >>> from llama_native import LlamaGrammar
    >>> from llama_native.schema import json_schema_to_gbnf
    >>> gbnf = json_schema_to_gbnf({"type": "object", "properties": {"ok": {"type": "boolean"}},
    ...                             "required": ["ok"], "additionalProperties": False})
    >>> g = LlamaGrammar(gbnf)
    >>> g.accepts('{"ok":true}'), g.accepts('{"ok": true}'), g.accepts('{"ok":1}')
    (True, True, False)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from .converter import (
    DEFAULT_WHITESPACE,
    WHITESPACE_MODES,
    ConversionResult,
    Unenforced,
    UnsupportedSchemaError,
    convert_schema,
)
from .inputs import to_json_schema
from .prompt import object_from_schema, schema_system_prompt
from .validation import SchemaValidationError, loads_unique, make_validator, serialize_like_grammar, validate_text

__all__ = [
    "JsonSchemaGrammar",
    "compile_json_schema",
    "json_schema_to_gbnf",
    "to_json_schema",
    "object_from_schema",
    "schema_system_prompt",
    "UnsupportedSchemaError",
    "SchemaValidationError",
    "Unenforced",
    "DEFAULT_WHITESPACE",
    "WHITESPACE_MODES",
]


@dataclass
class JsonSchemaGrammar:
    """A schema compiled to GBNF, with the validator for the final output."""

    schema: dict[str, Any] | bool
    gbnf: str
    unenforced: list[Unenforced] = field(default_factory=list)
    prop_order: list[str] | None = None
    whitespace: str = DEFAULT_WHITESPACE

    @cached_property
    def _validator(self) -> Any:
        return make_validator(self.schema)

    def validate(self, text: str) -> Any:
        """Parse and validate generated text; raises :class:`SchemaValidationError`."""
        return validate_text(self._validator, text)

    def is_valid(self, value: Any) -> bool:
        """True if the (parsed) value validates against the schema."""
        return self._validator.is_valid(value)

    def is_valid_text(self, text: str) -> bool:
        """True if ``text`` parses as JSON that validates (never raises)."""
        try:
            return bool(self._validator.is_valid(loads_unique(text)))
        except (ValueError, ArithmeticError, RecursionError):  # not JSON, or e.g. multipleOf overflow
            return False

    @property
    def needs_end_check(self) -> bool:
        """True when the grammar relaxes some keyword, so a completed value must be checked before it ends.

        Generation then refuses any token that would complete an invalid
        value (see ``Generator.set_end_check``): a completed output always
        validates.
        """
        return bool(self.unenforced)

    def serialize(self, instance: Any) -> str:
        """``instance`` as the grammar would emit it (compact, keys in grammar order)."""
        return serialize_like_grammar(instance, self.schema, self.prop_order)

    def serialize_raw(self, instance: Any) -> str:
        """Like :meth:`serialize` but numbers kept as they are (``1.0`` stays ``1.0``)."""
        return serialize_like_grammar(instance, self.schema, self.prop_order, normalize_numbers=False)


def compile_json_schema(
    schema: Any,
    *,
    prop_order: Sequence[str] | None = None,
    whitespace: str = DEFAULT_WHITESPACE,
    strict: bool = False,
    additional_properties: bool | None = None,
    key_order: str = "schema",
) -> JsonSchemaGrammar:
    """Compile ``schema`` (dict, JSON string, pydantic model, TypedDict, dataclass) to a grammar.

    ``additional_properties`` decides what objects without an
    ``additionalProperties`` keyword allow.  By default a JSON Schema follows
    the specification (extra keys allowed) and a schema made from a Python
    type (pydantic model, TypedDict, dataclass) allows only declared keys:
    pydantic drops extra keys anyway, and weak models stay on track.

    ``key_order="schema"`` (default) keeps declared keys in the schema's order
    (``prop_order`` first) and lets extra keys stand anywhere between them:
    models copy the order they are shown, and jump-forward writes known keys
    for them.  ``key_order="any"`` also accepts declared keys in any order;
    the end check then holds ``required`` and refuses repeated keys.
    """
    resolved = to_json_schema(schema)
    if additional_properties is None:
        additional_properties = isinstance(schema, (dict, str, bytes, bool))
    result: ConversionResult = convert_schema(
        resolved,
        prop_order=prop_order,
        whitespace=whitespace,
        strict=strict,
        additional_properties=additional_properties,
        key_order=key_order,
    )
    return JsonSchemaGrammar(
        resolved, result.gbnf, result.unenforced, list(prop_order) if prop_order else None, whitespace
    )


def json_schema_to_gbnf(
    schema: Any,
    *,
    prop_order: Sequence[str] | None = None,
    whitespace: str = DEFAULT_WHITESPACE,
    strict: bool = False,
    additional_properties: bool | None = None,
    key_order: str = "schema",
) -> str:
    """GBNF text for ``schema``; keys in schema order unless ``prop_order`` says otherwise.

    ``whitespace="free"`` (default) lets the model choose what stands between
    tokens: nothing, a space, or one or two newlines with up to 20 spaces or
    tabs (llama.cpp's rule; real models copy values best in the JSON style
    they learned).  ``"compact"`` allows no whitespace; ``"pretty"`` a space
    or a newline with up to 40 spaces of indent.
    ``strict=True`` raises :class:`UnsupportedSchemaError` for a keyword the
    grammar cannot enforce instead of relaxing it.  ``key_order``: see
    :func:`compile_json_schema`.
    """
    return compile_json_schema(
        schema,
        prop_order=prop_order,
        whitespace=whitespace,
        strict=strict,
        additional_properties=additional_properties,
        key_order=key_order,
    ).gbnf
