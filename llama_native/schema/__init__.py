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
from .errors import StrictModeError, UnsatisfiableSchemaError
from .gexpr import Expr
from .inputs import to_json_schema
from .llguidance_compiler import llguidance_json_grammar
from .normalize import KEY_ORDERS
from .prompt import object_from_schema, schema_system_prompt
from .validation import SchemaValidationError, loads_unique, make_validator, serialize_like_grammar, validate_text

#: Who turns a JSON Schema into a grammar: see :func:`compile_json_schema`.
COMPILERS = ("auto", "ours", "llguidance")

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
    #: set when llguidance's own compiler made the grammar (``gbnf`` is then empty)
    llguidance_lark: str | None = None
    #: our compiler's rules (:mod:`.gexpr` trees), printed as ``gbnf`` and as :attr:`lark`
    rules: dict[str, Expr] | None = field(default=None, repr=False, compare=False)
    #: the ``key_order`` it was compiled with (``serialize`` writes keys in that order)
    key_order: str = "schema"

    @cached_property
    def lark(self) -> str | None:
        """Llguidance's Lark form of ``gbnf``, written from the same rules (None without llguidance or rules).

        The same language as ``gbnf`` (key order, ``prop_order``, every bound),
        so the grammar runs on either engine: see
        :func:`llama_native.request.structure.engine_params`.
        """
        if self.llguidance_lark is not None:
            return self.llguidance_lark
        return ConversionResult(self.gbnf, [], self.rules).lark()

    @cached_property
    def _validator(self) -> Any:
        return make_validator(self.schema)

    def validate(self, text: str) -> Any:
        """Parse and validate generated text; raises :class:`SchemaValidationError`."""
        return validate_text(self._validator, text)

    def is_valid(self, value: Any) -> bool:
        """True if the (parsed) value validates against the schema (False when the validator itself fails)."""
        try:
            return bool(self._validator.is_valid(value))
        except Exception:  # e.g. multipleOf overflow: no verdict, so not valid
            return False

    def is_valid_text(self, text: str) -> bool:
        """True if ``text`` parses as JSON that validates (never raises)."""
        try:
            return bool(self._validator.is_valid(loads_unique(text)))
        except Exception:  # not JSON, or the validator failed (multipleOf overflow, an unknown type): not valid
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
        return serialize_like_grammar(instance, self.schema, self.prop_order, required_first=self._required_first)

    def serialize_raw(self, instance: Any) -> str:
        """Like :meth:`serialize` but numbers kept as they are (``1.0`` stays ``1.0``)."""
        return serialize_like_grammar(
            instance, self.schema, self.prop_order, normalize_numbers=False, required_first=self._required_first
        )

    @property
    def _required_first(self) -> bool:
        return self.key_order == "required-first"


def compile_json_schema(
    schema: Any,
    *,
    prop_order: Sequence[str] | None = None,
    whitespace: str = DEFAULT_WHITESPACE,
    strict: bool = False,
    additional_properties: bool | None = None,
    key_order: str = "schema",
    compiler: str = "auto",
) -> JsonSchemaGrammar:
    """Compile ``schema`` (dict, JSON string, pydantic model, TypedDict, dataclass) to a grammar.

    ``additional_properties`` decides what objects without an
    ``additionalProperties`` keyword allow.  By default a JSON Schema follows
    the specification (extra keys allowed) and a schema made from a Python
    type (pydantic model, TypedDict, dataclass) allows only declared keys:
    pydantic drops extra keys anyway, and weak models stay on track.

    ``key_order="schema"`` (default) keeps declared keys in the schema's order
    (``prop_order`` first) with extra keys after them, as llama.cpp does:
    models copy the order they are shown, jump-forward writes known keys for
    them, and a real model offered extra keys earlier writes its own keys
    instead (see bench/README.md).  ``key_order="any"`` accepts declared and
    extra keys in any order; the end check then holds ``required`` and
    refuses repeated keys.  ``key_order="required-first"`` is ``"schema"`` with
    required keys before optional ones (llama-cpp-python's ``SchemaConverter``
    and llama.cpp's converter place them so).

    ``compiler``: ``"auto"`` (default) is our converter, or llguidance's own
    JSON Schema compiler for a schema ours cannot read and llguidance can;
    ``"ours"`` and ``"llguidance"`` force one (see
    :mod:`llama_native.schema.llguidance_compiler` for why ours comes first).
    """
    if compiler not in COMPILERS:
        raise ValueError(f"compiler must be one of {COMPILERS}, got {compiler!r}")
    if whitespace not in WHITESPACE_MODES:
        raise ValueError(f"whitespace must be one of {WHITESPACE_MODES}, got {whitespace!r}")
    resolved = to_json_schema(schema)
    if additional_properties is None:
        additional_properties = isinstance(schema, (dict, str, bytes, bool))
    order = list(prop_order) if prop_order else None
    if key_order not in KEY_ORDERS:
        raise ValueError(f"key_order must be one of {KEY_ORDERS}, got {key_order!r}")
    if compiler == "llguidance":
        return _llguidance_compiled(resolved, order, whitespace, additional_properties, key_order)
    try:
        result: ConversionResult = convert_schema(
            resolved,
            prop_order=prop_order,
            whitespace=whitespace,
            strict=strict,
            additional_properties=additional_properties,
            key_order=key_order,
        )
    except UnsupportedSchemaError as exc:
        if compiler == "ours" or isinstance(exc, (UnsatisfiableSchemaError, StrictModeError)):
            raise
        try:  # a schema our converter cannot read: llguidance's compiler may
            return _llguidance_compiled(resolved, order, whitespace, additional_properties, key_order)
        except UnsupportedSchemaError:
            raise exc from None
    return JsonSchemaGrammar(
        resolved, result.gbnf, result.unenforced, list(prop_order) if prop_order else None, whitespace,
        rules=result.rules, key_order=key_order,
    )  # fmt: skip


def _llguidance_compiled(
    schema: Any, prop_order: list[str] | None, whitespace: str, additional_properties: bool, key_order: str
) -> JsonSchemaGrammar:
    from .. import _llguidance

    if key_order == "any":
        raise UnsupportedSchemaError(
            "llguidance's compiler keeps keys in one order (key_order 'schema' or 'required-first')"
        )
    if not _llguidance.available():
        raise UnsupportedSchemaError(f"llguidance's compiler is not available: {_llguidance.unavailable_reason()}")
    lark = llguidance_json_grammar(
        schema, prop_order=prop_order, whitespace=whitespace, additional_properties=additional_properties,
        required_first=key_order == "required-first",
    )  # fmt: skip
    return JsonSchemaGrammar(schema, "", [], prop_order, whitespace, llguidance_lark=lark, key_order=key_order)


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
        compiler="ours",
    ).gbnf
