"""The fixed GBNF of JSON: whitespace modes, primitive values, and string formats.

Example::

    >>> from llama_native import LlamaGrammar
    >>> from llama_native.schema.json_rules import FORMAT_RULES
    >>> grammar = LlamaGrammar('root ::= ' + FORMAT_RULES["date"])
    >>> grammar.accepts("2026-02-28"), grammar.accepts("2026-02-30")
    (True, False)
"""

from __future__ import annotations

from .gbnf import NOT_CHARACTERS

WHITESPACE_MODES = ("free", "compact", "pretty", "lcp", "llama-server")
#: The default: the model chooses its whitespace, bounded (see :data:`SPACE_RULES`).
DEFAULT_WHITESPACE = "free"
#: What may stand between JSON tokens in each mode.  ``free`` is llama.cpp's own
#: rule (nothing, a space, or one or two newlines with up to 20 spaces or tabs):
#: real models write ``{"age": 41}`` or pretty-printed JSON and copy values worse
#: when forced out of that habit.  ``compact`` allows nothing (fewest tokens; what
#: the embedded micro model was trained on); ``pretty`` a space or one newline
#: with up to 40 spaces.  A declared key is always followed directly by ``":"``
#: (no model writes ``"age" :``), so jump-forward still completes ``":`` after it.
#: ``lcp`` is llama-cpp-python's whitespace (its ``SchemaConverter``: one optional
#: space, also between a declared key and its ``":"`` and after the whole value)
#: and ``llama-server`` llama.cpp's ``json-schema-to-grammar.cpp`` (``free``'s
#: rule, also between a key and ``":"`` and before a closing bracket); see
#: :data:`KEY_SPACE_MODES`.
SPACE_RULES: dict[str, str] = {
    "free": '| " " | "\\n"{1,2} [ \\t]{0,20}',
    "compact": '""',
    "pretty": '| " " | "\\n" [ ]{0,40}',
    "lcp": '" "?',
    "llama-server": '| " " | "\\n"{1,2} [ \\t]{0,20}',
}
#: The modes that allow whitespace between a declared key and its ``":"`` (as their converters do).
KEY_SPACE_MODES = ("lcp", "llama-server")
#: The mode whose converter allows whitespace before ``}`` and ``]`` (llama.cpp's ``space "}"``).
CLOSER_SPACE_MODES = ("llama-server",)
#: The mode that keeps the whitespace after the whole value (llama-cpp-python's root ends in ``space``).
TRAILING_SPACE_MODES = ("lcp",)

#: llama-cpp-python's grammar for JSON mode without a schema (its ``JSON_GBNF``, llama.cpp's
#: ``grammars/json.gbnf``): an object, with ``| " " | "\\n" [ \\t]{0,20}`` between tokens.
#: ``json_whitespace="lcp"`` uses it for ``response_format={"type": "json_object"}``.
LCP_JSON_GBNF = r"""
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

_CHAR = r'[^"\\\x7F\x00-\x1F\uD800-\uDFFF\U00110000-\U001FFFFF] | [\\] (["\\/bfnrt] | "u" [0-9a-fA-F]{4})'
#: The rules of JSON values without constraints (and their parts).
PRIMITIVE_RULES: dict[str, str] = {
    "char": _CHAR,
    "string": r'"\"" char* "\"" space',
    "integral-part": "[0] | [1-9] [0-9]{0,19}",
    "decimal-part": "[0-9]{1,20}",
    # Numbers stay finite doubles: a positive exponent above 99 only after a
    # single integral digit (the scientific notation every JSON encoder writes).
    "exponent": '[eE] ("-" [0-9]{1,3} | "+"? [0-9]{1,2})',
    "large-exponent": '[eE] "+"? ([12] [0-9] [0-9] | "30" [0-8])',
    "number": '"-"? (integral-part ("." decimal-part)? exponent? | [1-9] ("." decimal-part)? large-exponent) space',
    "integer": '"-"? integral-part space',
    "boolean": '("true" | "false") space',
    "null": '"null" space',
    "value": "object | array | string | number | boolean | null",
    "object": '"{" space ( string ":" space value ("," space string ":" space value)* )? "}" space',
    "array": '"[" space ( value ("," space value)* )? "]" space',
}
#: The rules each primitive rule refers to.
PRIMITIVE_DEPS: dict[str, tuple[str, ...]] = {
    "string": ("char", "space"),
    "number": ("integral-part", "decimal-part", "exponent", "large-exponent", "space"),
    "integer": ("integral-part", "space"),
    "boolean": ("space",),
    "null": ("space",),
    "value": ("object", "array", "string", "number", "boolean", "null"),
    "object": ("string", "value", "space"),
    "array": ("value", "space"),
}

# Formats: the *contents* of the string (without quotes).
# Gregorian leap years: YY a multiple of 4 other than 00, or CC a multiple of 4 with YY 00.
_LEAP_YEAR = '([0-9] [0-9] ("0" [48] | [2468] [048] | [13579] [26]) | ("0" [048] | [2468] [048] | [13579] [26]) "00")'
_DATE = (
    '([0-9]{4} "-" ( ("0" [13578] | "1" [02]) "-" ("0" [1-9] | [12] [0-9] | "3" [01]) '
    '| ("0" [469] | "11") "-" ("0" [1-9] | [12] [0-9] | "30") '
    '| "02" "-" ("0" [1-9] | "1" [0-9] | "2" [0-8]) ) '
    f'| {_LEAP_YEAR} "-02-29")'
)
_OFFSET = '([zZ] | [+-] ([01] [0-9] | "2" [0-3]) ":" [0-5] [0-9])'


def _leap_seconds() -> str:
    """Every local time of a leap second (23:59:60 UTC) in a zone whose offset is a quarter hour.

    A leap second in any other offset (say +01:07) is the one valid time the
    grammar refuses: allowing ``:60`` at every minute would let invalid times
    through unless every time went through the end check.
    """
    forms = ['"23:59:60" ("." [0-9]+)? ([zZ] | [+-] "00:00")']
    for sign, direction in (("+", 1), ("-", -1)):
        for hours in range(24):
            for minutes in (0, 15, 30, 45):
                if hours == minutes == 0:
                    continue
                local = (23 * 60 + 59 + direction * (hours * 60 + minutes)) % (24 * 60)
                forms.append(f'"{local // 60:02d}:{local % 60:02d}:60" ("." [0-9]+)? "{sign}{hours:02d}:{minutes:02d}"')
    return " | ".join(forms)


_TIME = f'(([01] [0-9] | "2" [0-3]) ":" [0-5] [0-9] ":" [0-5] [0-9] ("." [0-9]+)? {_OFFSET} | {_leap_seconds()})'
_HOST_LABEL = "[a-zA-Z0-9] ([a-zA-Z0-9-]{0,61} [a-zA-Z0-9])?"
#: String formats the grammar enforces: the contents of the string, without quotes.
FORMAT_RULES: dict[str, str] = {
    "date": _DATE,
    "time": _TIME,
    "date-time": f"{_DATE} [tT] {_TIME}",
    "uuid": '[0-9a-fA-F]{8} "-" [0-9a-fA-F]{4} "-" [0-9a-fA-F]{4} "-" [0-9a-fA-F]{4} "-" [0-9a-fA-F]{12}',
    # any string with an "@" (what the validator checks): quoted local parts such as
    # "joe bloggs"@example.com are valid addresses, so the grammar refuses none
    "email": "(" + _CHAR.replace('[^"', '[^@"', 1) + ')* ("@" | "\\\\u0040") char*',
    "uri": f'[a-zA-Z] [a-zA-Z0-9+.-]* ":" [^"\\\\\\x00-\\x20{NOT_CHARACTERS}]*',
    "ipv4": ' "." '.join(['( "25" [0-5] | "2" [0-4] [0-9] | "1" [0-9] [0-9] | [1-9] [0-9] | [0-9] )'] * 4),
    "hostname": f'{_HOST_LABEL} ("." {_HOST_LABEL})* "."?',
}
