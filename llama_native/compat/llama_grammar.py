"""llama-cpp-python's ``llama_cpp.llama_grammar`` names.

``LlamaGrammar`` is llama-native's (GBNF checked by llama.cpp's parser), with
llama-cpp-python's defaults in ``from_json_schema`` (see :class:`LlamaGrammar`);
``json_schema_to_gbnf`` is llama-native's converter (:mod:`llama_native.schema`).
``SchemaConverter``, ``BuiltinRule``, ``PRIMITIVE_RULES``,
``STRING_FORMAT_RULES`` and the sample grammars (``ARITHMETIC_GBNF``,
``C_GBNF``, ``CHESS_GBNF``, ``JAPANESE_GBNF``, ``JSON_ARR_GBNF``,
``LIST_GBNF``, ``JSON_GBNF``) are llama-cpp-python 0.3.36's (MIT License,
Copyright (c) 2023 Andrei Betlen; see :mod:`llama_native.compat._grammar_rules`
and :mod:`llama_native.compat._schema_converter`).

Example::

    >>> from llama_native.llama_grammar import JSON_GBNF, LlamaGrammar
    >>> LlamaGrammar.from_string(JSON_GBNF).root
    'root'
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..grammar import LlamaGrammar as _LlamaGrammar
from ..schema import json_schema_to_gbnf
from ..schema.json_rules import LCP_JSON_GBNF
from ._grammar_rules import (
    ARITHMETIC_GBNF,
    C_GBNF,
    CHESS_GBNF,
    DOT,
    DOTALL,
    ESCAPED_IN_REGEXPS_BUT_NOT_IN_LITERALS,
    GRAMMAR_LITERAL_ESCAPE_RE,
    GRAMMAR_LITERAL_ESCAPES,
    INVALID_RULE_CHARS_RE,
    JAPANESE_GBNF,
    JSON_ARR_GBNF,
    LIST_GBNF,
    NON_LITERAL_SET,
    PRIMITIVE_RULES,
    RESERVED_NAMES,
    SPACE_RULE,
    STRING_FORMAT_RULES,
    BuiltinRule,
)
from ._schema_converter import SchemaConverter

LLAMA_GRAMMAR_DEFAULT_ROOT = "root"

#: Any JSON object (llama.cpp's ``grammars/json.gbnf``): llama-cpp-python's JSON mode grammar.
JSON_GBNF = LCP_JSON_GBNF



class LlamaGrammar(_LlamaGrammar):
    """:class:`llama_native.LlamaGrammar` whose ``from_json_schema`` gives llama-cpp-python's language.

    By default a schema's grammar has llama-cpp-python's ``SchemaConverter``
    language: one optional space between tokens (``whitespace="lcp"``),
    required keys before optional ones (``key_order="required-first"``), and
    no keys beyond the declared ones where the schema does not say
    (``additional_properties=False``).  It also checks the finished value
    against the schema, as ``llama_native.LlamaGrammar`` does.  Every argument
    of ``llama_native.LlamaGrammar.from_json_schema`` can still be passed.
    ``llama_native.LlamaGrammar`` keeps llama.cpp's free whitespace and the
    schema's key order.

    Example::

        >>> import json
        >>> schema = {"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
        ...           "required": ["b"]}
        >>> g = LlamaGrammar.from_json_schema(json.dumps(schema))
        >>> g.accepts('{"b": 1, "a": 2}'), g.accepts('{"a": 2, "b": 1}'), g.accepts('{"b":1,"c":2}')
        (True, False, False)
    """

    @classmethod
    def from_json_schema(
        cls,
        json_schema: Any,
        verbose: bool = True,
        *,
        prop_order: Sequence[str] | None = None,
        whitespace: str = "lcp",
        strict: bool = False,
        additional_properties: bool | None = False,
        key_order: str = "required-first",
        compiler: str = "auto",
    ) -> _LlamaGrammar:
        """llama-cpp-python's ``LlamaGrammar.from_json_schema``; the arguments after ``verbose`` are llama-native's."""
        return super().from_json_schema(
            json_schema, verbose, prop_order=prop_order, whitespace=whitespace, strict=strict,
            additional_properties=additional_properties, key_order=key_order, compiler=compiler,
        )  # fmt: skip


__all__ = [
    "ARITHMETIC_GBNF",
    "C_GBNF",
    "CHESS_GBNF",
    "DOT",
    "DOTALL",
    "ESCAPED_IN_REGEXPS_BUT_NOT_IN_LITERALS",
    "GRAMMAR_LITERAL_ESCAPES",
    "GRAMMAR_LITERAL_ESCAPE_RE",
    "INVALID_RULE_CHARS_RE",
    "JAPANESE_GBNF",
    "JSON_ARR_GBNF",
    "JSON_GBNF",
    "LIST_GBNF",
    "LLAMA_GRAMMAR_DEFAULT_ROOT",
    "NON_LITERAL_SET",
    "PRIMITIVE_RULES",
    "RESERVED_NAMES",
    "SPACE_RULE",
    "STRING_FORMAT_RULES",
    "BuiltinRule",
    "LlamaGrammar",
    "SchemaConverter",
    "json_schema_to_gbnf",
]
