"""The fixed rules of JSON: whitespace modes, primitive values, and string formats.

Each is an expression tree (:mod:`.gexpr`), printed as GBNF or as llguidance's
Lark; the ``*_RULES`` dicts hold the GBNF text of the trees.

Example::

    >>> from llama_native import LlamaGrammar
    >>> from llama_native.schema.json_rules import FORMAT_RULES
    >>> grammar = LlamaGrammar('root ::= ' + FORMAT_RULES["date"])
    >>> grammar.accepts("2026-02-28"), grammar.accepts("2026-02-30")
    (True, False)
"""

from __future__ import annotations

from .gbnf import NOT_CHARACTERS
from .gexpr import EMPTY, Alt, Cls, Expr, Group, Lit, Rep, alt, group, seq
from .gexpr import Ref as R

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
SPACE_TREES: dict[str, Expr] = {
    "free": alt(EMPTY, Lit('" "'), seq(Rep(Lit('"\\n"'), 1, 2), Rep(Cls("[ \\t]"), 0, 20))),
    "compact": Lit('""'),
    "pretty": alt(EMPTY, Lit('" "'), seq(Lit('"\\n"'), Rep(Cls("[ ]"), 0, 40))),
    "lcp": Rep(Lit('" "'), 0, 1),
    "llama-server": alt(EMPTY, Lit('" "'), seq(Rep(Lit('"\\n"'), 1, 2), Rep(Cls("[ \\t]"), 0, 20))),
}
SPACE_RULES: dict[str, str] = {mode: tree.text for mode, tree in SPACE_TREES.items()}
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


def L(text: str) -> Lit:  # noqa: N802 - the fixed rules read better short
    """The literal of plain ``text`` (no quotes or backslashes in it)."""
    return Lit(f'"{text}"')


def C(spelling: str) -> Cls:  # noqa: N802
    """A character class (a shorthand for ``Cls``)."""
    return Cls(spelling)


_DIGIT = C("[0-9]")
_HEX = C("[0-9a-fA-F]")
_SPACE = R("space")


def _char(first: str) -> Alt:
    """One JSON-encoded character: an unescaped one of the class ``first``, or an escape."""
    escape = seq(C("[\\\\]"), group(C('["\\\\/bfnrt]'), seq(L("u"), Rep(_HEX, 4, 4))))
    return alt(C(first), escape)


_NOT_ESCAPED = '[^"\\\\\\x7F\\x00-\\x1F' + NOT_CHARACTERS + "]"
_FRACTION = Rep(group(seq(L("."), R("decimal-part"))), 0, 1)
#: A number that cannot be negative (a ``number`` without its sign and whitespace).
UNSIGNED_NUMBER = group(
    seq(R("integral-part"), _FRACTION, Rep(R("exponent"), 0, 1)), seq(C("[1-9]"), _FRACTION, R("large-exponent"))
)


def _members(item: Expr) -> Group:
    """``( item ("," space item)* )``: the members of a non-empty JSON object or array."""
    return Group(seq(item, Rep(group(seq(L(","), _SPACE, item)), 0, None)), pad=True)


#: The rules of JSON values without constraints (and their parts).
PRIMITIVE_TREES: dict[str, Expr] = {
    "char": _char(_NOT_ESCAPED),
    "string": seq(Lit('"\\""'), Rep(R("char"), 0, None), Lit('"\\""'), _SPACE),
    "integral-part": alt(C("[0]"), seq(C("[1-9]"), Rep(_DIGIT, 0, 19))),
    "decimal-part": Rep(_DIGIT, 1, 20),
    # Numbers stay finite doubles: a positive exponent above 99 only after a
    # single integral digit (the scientific notation every JSON encoder writes).
    "exponent": seq(C("[eE]"), group(seq(L("-"), Rep(_DIGIT, 1, 3)), seq(Rep(L("+"), 0, 1), Rep(_DIGIT, 1, 2)))),
    "large-exponent": seq(
        C("[eE]"), Rep(L("+"), 0, 1), group(seq(C("[12]"), _DIGIT, _DIGIT), seq(L("30"), C("[0-8]")))
    ),
    "number": seq(Rep(L("-"), 0, 1), UNSIGNED_NUMBER, _SPACE),
    "integer": seq(Rep(L("-"), 0, 1), R("integral-part"), _SPACE),
    "boolean": seq(group(L("true"), L("false")), _SPACE),
    "null": seq(L("null"), _SPACE),
    "value": alt(R("object"), R("array"), R("string"), R("number"), R("boolean"), R("null")),
    "object": seq(
        L("{"), _SPACE, Rep(_members(seq(R("string"), L(":"), _SPACE, R("value"))), 0, 1), L("}"), _SPACE
    ),
    "array": seq(L("["), _SPACE, Rep(_members(R("value")), 0, 1), L("]"), _SPACE),
}
PRIMITIVE_RULES: dict[str, str] = {name: tree.text for name, tree in PRIMITIVE_TREES.items()}
#: ``object`` and ``array`` with whitespace before the closing bracket (:data:`CLOSER_SPACE_MODES`).
CLOSER_SPACE_TREES: dict[str, Expr] = {
    "object": seq(
        L("{"), _SPACE, Rep(_members(seq(R("string"), L(":"), _SPACE, R("value"))), 0, 1), _SPACE, L("}"), _SPACE
    ),
    "array": seq(L("["), _SPACE, Rep(_members(R("value")), 0, 1), _SPACE, L("]"), _SPACE),
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
_BY_FOUR = (seq(L("0"), C("[048]")), seq(C("[2468]"), C("[048]")), seq(C("[13579]"), C("[26]")))
_LEAP_YEAR = group(
    seq(_DIGIT, _DIGIT, group(seq(L("0"), C("[48]")), *_BY_FOUR[1:])), seq(group(*_BY_FOUR), L("00"))
)
_MONTH_DAYS = Group(
    alt(
        seq(group(seq(L("0"), C("[13578]")), seq(L("1"), C("[02]"))), L("-"),
            group(seq(L("0"), C("[1-9]")), seq(C("[12]"), _DIGIT), seq(L("3"), C("[01]")))),
        seq(group(seq(L("0"), C("[469]")), L("11")), L("-"),
            group(seq(L("0"), C("[1-9]")), seq(C("[12]"), _DIGIT), L("30"))),
        seq(L("02"), L("-"), group(seq(L("0"), C("[1-9]")), seq(L("1"), _DIGIT), seq(L("2"), C("[0-8]")))),
    ),
    pad=True,
)  # fmt: skip
_DATE = group(seq(Rep(_DIGIT, 4, 4), L("-"), _MONTH_DAYS), seq(_LEAP_YEAR, L("-02-29")))
_OFFSET = group(
    C("[zZ]"), seq(C("[+-]"), group(seq(C("[01]"), _DIGIT), seq(L("2"), C("[0-3]"))), L(":"), C("[0-5]"), _DIGIT)
)
_SECOND_FRACTION = Rep(group(seq(L("."), Rep(_DIGIT, 1, None))), 0, 1)


def _leap_seconds() -> list[Expr]:
    """Every local time of a leap second (23:59:60 UTC) in a zone whose offset is a quarter hour.

    A leap second in any other offset (say +01:07) is the one valid time the
    grammar refuses: allowing ``:60`` at every minute would let invalid times
    through unless every time went through the end check.
    """
    forms: list[Expr] = [seq(L("23:59:60"), _SECOND_FRACTION, group(C("[zZ]"), seq(C("[+-]"), L("00:00"))))]
    for sign, direction in (("+", 1), ("-", -1)):
        for hours in range(24):
            for minutes in (0, 15, 30, 45):
                if hours == minutes == 0:
                    continue
                local = (23 * 60 + 59 + direction * (hours * 60 + minutes)) % (24 * 60)
                at = L(f"{local // 60:02d}:{local % 60:02d}:60")
                forms.append(seq(at, _SECOND_FRACTION, L(f"{sign}{hours:02d}:{minutes:02d}")))
    return forms


_CLOCK = seq(
    group(seq(C("[01]"), _DIGIT), seq(L("2"), C("[0-3]"))), L(":"), C("[0-5]"), _DIGIT, L(":"), C("[0-5]"), _DIGIT,
    _SECOND_FRACTION, _OFFSET,
)  # fmt: skip
_TIME = group(_CLOCK, *_leap_seconds())
_HOST_LABEL = seq(C("[a-zA-Z0-9]"), Rep(group(seq(Rep(C("[a-zA-Z0-9-]"), 0, 61), C("[a-zA-Z0-9]"))), 0, 1))
_OCTET = Group(
    alt(seq(L("25"), C("[0-5]")), seq(L("2"), C("[0-4]"), _DIGIT), seq(L("1"), _DIGIT, _DIGIT),
        seq(C("[1-9]"), _DIGIT), _DIGIT),
    pad=True,
)  # fmt: skip
#: String formats the grammar enforces, as trees: the contents of the string, without quotes.
FORMAT_TREES: dict[str, Expr] = {
    "date": _DATE,
    "time": _TIME,
    "date-time": seq(_DATE, C("[tT]"), _TIME),
    "uuid": seq(Rep(_HEX, 8, 8), *(item for _ in range(3) for item in (L("-"), Rep(_HEX, 4, 4))), L("-"),
                Rep(_HEX, 12, 12)),  # fmt: skip
    # any string with an "@" (what the validator checks): quoted local parts such as
    # "joe bloggs"@example.com are valid addresses, so the grammar refuses none
    "email": seq(
        Rep(Group(_char(_NOT_ESCAPED.replace('[^"', '[^@"', 1))), 0, None),
        group(L("@"), Lit('"\\\\u0040"')),
        Rep(R("char"), 0, None),
    ),
    "uri": seq(C("[a-zA-Z]"), Rep(C("[a-zA-Z0-9+.-]"), 0, None), L(":"),
               Rep(C(f'[^"\\\\\\x00-\\x20{NOT_CHARACTERS}]'), 0, None)),  # fmt: skip
    "ipv4": seq(_OCTET, L("."), _OCTET, L("."), _OCTET, L("."), _OCTET),
    "hostname": seq(_HOST_LABEL, Rep(group(seq(L("."), _HOST_LABEL)), 0, None), Rep(L("."), 0, 1)),
}
#: String formats the grammar enforces: the GBNF text of :data:`FORMAT_TREES`.
FORMAT_RULES: dict[str, str] = {name: tree.text for name, tree in FORMAT_TREES.items()}
#: The primitive rules a format refers to.
FORMAT_DEPS: dict[str, tuple[str, ...]] = {"email": ("char",)}
