"""llama-cpp-python's ``llama_cpp.llama_grammar`` names: ``LlamaGrammar``, ``json_schema_to_gbnf``, ``JSON_GBNF``.

Example::

    >>> from llama_native.llama_grammar import JSON_GBNF, LlamaGrammar
    >>> LlamaGrammar.from_string(JSON_GBNF).root
    'root'
"""

from __future__ import annotations

from ..grammar import LlamaGrammar
from ..schema import json_schema_to_gbnf

LLAMA_GRAMMAR_DEFAULT_ROOT = "root"

#: Any JSON value (llama.cpp's ``grammars/json.gbnf``).
JSON_GBNF = r"""
root   ::= object
value  ::= object | array | string | number | ("true" | "false" | "null") ws

object ::=
  "{" ws (
            string ":" ws value
    ("," ws string ":" ws value)*
  )? "}" ws

array  ::=
  "[" ws (
            value
    ("," ws value)*
  )? "]" ws

string ::=
  "\"" (
    [^"\\\x7F\x00-\x1F] |
    "\\" (["\\bfnrt] | "u" [0-9a-fA-F]{4}) # escapes
  )* "\"" ws

number ::= ("-"? ([0-9] | [1-9] [0-9]{0,15})) ("." [0-9]+)? ([eE] [-+]? [0-9] [1-9]{0,15})? ws

# Optional space: by convention, applied in this grammar after literal chars when allowed
ws ::= | " " | "\n" [ \t]{0,20}
"""

__all__ = ["LlamaGrammar", "json_schema_to_gbnf", "JSON_GBNF", "LLAMA_GRAMMAR_DEFAULT_ROOT"]
