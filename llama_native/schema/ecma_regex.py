"""JSON Schema patterns are ECMA-262 regular expressions; the ones Python's ``re`` cannot read are rewritten.

Both the grammar (:mod:`.regex`, which parses with ``re``) and the validator
(``jsonschema``, which matches with ``re``) read a pattern through
:func:`python_pattern`, so they agree.  Rewritten: Unicode property escapes
(``\\p{L}``, ``\\P{Nd}``, ``\\p{Letter}``), named groups (``(?<year>...)``)
and control escapes (``\\cJ``).  A pattern still beyond ``re`` stays as it
is: the converter relaxes it (llguidance's compiler may take the schema) and
the validator leaves it unchecked instead of failing
(:func:`llama_native.schema.validation.validator_schema`).

Why not the ``regex`` package (which reads ``\\p{..}``): ``jsonschema``
matches with ``re``, and grammar and validator must read a pattern alike.

Example::

    >>> from llama_native.schema.ecma_regex import python_pattern
    >>> python_pattern(r"^(?<year>\\d{4})-\\cJ$")
    '^(?P<year>\\\\d{4})-\\\\x0a$'
    >>> import re
    >>> bool(re.fullmatch(python_pattern(r"\\p{Lu}\\p{Ll}+"), "Ébé"))
    True
"""

from __future__ import annotations

import functools
import re
import sys
import unicodedata

#: Long names of the general categories, as ECMA-262 accepts them.
_CATEGORY_NAMES = {
    "Letter": "L", "Cased_Letter": "LC", "Uppercase_Letter": "Lu", "Lowercase_Letter": "Ll",
    "Titlecase_Letter": "Lt", "Modifier_Letter": "Lm", "Other_Letter": "Lo", "Mark": "M",
    "Nonspacing_Mark": "Mn", "Spacing_Mark": "Mc", "Enclosing_Mark": "Me", "Number": "N",
    "Decimal_Number": "Nd", "digit": "Nd", "Letter_Number": "Nl", "Other_Number": "No", "Punctuation": "P",
    "punct": "P", "Connector_Punctuation": "Pc", "Dash_Punctuation": "Pd", "Open_Punctuation": "Ps",
    "Close_Punctuation": "Pe", "Initial_Punctuation": "Pi", "Final_Punctuation": "Pf",
    "Other_Punctuation": "Po", "Symbol": "S", "Math_Symbol": "Sm", "Currency_Symbol": "Sc",
    "Modifier_Symbol": "Sk", "Other_Symbol": "So", "Separator": "Z", "Space_Separator": "Zs",
    "Line_Separator": "Zl", "Paragraph_Separator": "Zp", "Other": "C", "Control": "Cc", "cntrl": "Cc",
    "Format": "Cf", "Surrogate": "Cs", "Private_Use": "Co", "Unassigned": "Cn",
}
_PROPERTY = re.compile(r"\\([pP])\{(?:(?:General_Category|gc)=)?([A-Za-z_]+)\}")
_NAMED_GROUP = re.compile(r"\(\?<(?![=!])")
_CONTROL = re.compile(r"\\c([A-Za-z])")


@functools.cache
def _category_class(category: str) -> str | None:
    """The members of a general category (``L``, ``Lu``, ...) as class ranges, or None if unknown."""
    code = _CATEGORY_NAMES.get(category, category)
    if code == "LC":
        wanted: tuple[str, ...] = ("Lu", "Ll", "Lt")
    elif len(code) == 1:
        wanted = tuple(c for c in ("Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Me", "Nd", "Nl", "No", "Pc", "Pd",
                                   "Ps", "Pe", "Pi", "Pf", "Po", "Sm", "Sc", "Sk", "So", "Zs", "Zl", "Zp", "Cc",
                                   "Cf", "Cs", "Co", "Cn") if c[0] == code)
    else:
        wanted = (code,)
    if not wanted or not all(len(c) == 2 for c in wanted):
        return None
    ranges: list[tuple[int, int]] = []
    for cp in range(sys.maxunicode + 1):
        if unicodedata.category(chr(cp)) in wanted:
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1] = (ranges[-1][0], cp)
            else:
                ranges.append((cp, cp))
    if not ranges:
        return None
    return "".join(f"\\U{a:08x}" if a == b else f"\\U{a:08x}-\\U{b:08x}" for a, b in ranges)


def _in_class(pattern: str, index: int) -> bool:
    """Whether ``index`` lies inside a ``[...]`` class of ``pattern``."""
    inside, i = False, 0
    while i < index:
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "[" and not inside:
            inside = True
        elif ch == "]" and inside:
            inside = False
        i += 1
    return inside


@functools.lru_cache(maxsize=4096)
def python_pattern(pattern: str) -> str:
    """``pattern`` rewritten so ``re`` reads it as ECMA-262 would (unchanged when ``re`` reads it already)."""
    try:
        re.compile(pattern)
        return pattern
    except re.error:
        pass
    out = _NAMED_GROUP.sub("(?P<", pattern)
    out = _CONTROL.sub(lambda m: f"\\x{ord(m.group(1)) % 32:02x}", out)

    def property_class(match: re.Match[str]) -> str:
        members = _category_class(match.group(2))
        if members is None:
            return match.group(0)
        negated = match.group(1) == "P"
        if _in_class(out, match.start()):
            return match.group(0) if negated else members  # a negated set inside a class: not rewritten
        return f"[{'^' if negated else ''}{members}]"

    out = _PROPERTY.sub(property_class, out)
    try:
        re.compile(out)
    except re.error:
        return pattern
    return out


def readable(pattern: str) -> bool:
    """Whether Python's ``re`` compiles ``pattern``."""
    try:
        re.compile(pattern)
    except re.error:
        return False
    return True
