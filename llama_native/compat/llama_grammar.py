"""llama-cpp-python's ``llama_cpp.llama_grammar`` names.

``LlamaGrammar`` is llama-native's (GBNF checked by llama.cpp's parser), the same
class as ``llama_native.LlamaGrammar``: its ``from_json_schema`` defaults to
llama-cpp-python's language (one optional space, required keys first, closed objects);
``json_schema_to_gbnf`` (JSON text in, GBNF text out, byte for byte llama-cpp-python's),
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

from ..grammar import LlamaGrammar
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
from ._schema_converter import lcp_json_schema_to_gbnf as json_schema_to_gbnf

LLAMA_GRAMMAR_DEFAULT_ROOT = "root"

#: Any JSON object (llama.cpp's ``grammars/json.gbnf``): llama-cpp-python's JSON mode grammar.
JSON_GBNF = LCP_JSON_GBNF


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
