"""GBNF building blocks for JSON output: literals, character sets.

Characters inside a JSON string are generated in their JSON-encoded form, so
a set of allowed *decoded* characters becomes: the raw characters JSON allows
unescaped, plus the escape sequences of the others (``\\"``, ``\\\\``,
``\\n``, ...).  Raw control characters (U+0000-U+001F) can never appear.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable

from .gexpr import Alt, Cls, Expr, Group, Lit, seq

# Largest repetition count written out; above it the bound is not enforced by
# the grammar (llama.cpp expands {m,n} into n-m nested rules).
MAX_REPETITION = 1000

_SHORT_ESCAPES = {0x08: "\\b", 0x0C: "\\f", 0x0A: "\\n", 0x0D: "\\r", 0x09: "\\t", 0x22: '\\"', 0x5C: "\\\\"}


def literal(text: str) -> str:
    """A GBNF string literal that matches ``text`` exactly."""
    out = ['"']
    for ch in text:
        cp = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif cp < 0x20 or cp == 0x7F:
            out.append(f"\\x{cp:02X}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def normalize_numbers(value: object) -> object:
    """Integral floats as ints (``1.0`` -> ``1``), the form the grammar emits."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return int(value)
    if isinstance(value, list):
        return [normalize_numbers(v) for v in value]
    if isinstance(value, dict):
        return {k: normalize_numbers(v) for k, v in value.items()}
    return value


def json_literal(value: object) -> str:
    """GBNF literal of a JSON value in its compact serialization."""
    return literal(json.dumps(normalize_numbers(value), ensure_ascii=False, separators=(",", ":")))


def _class_char(cp: int) -> str:
    """A code point as it may appear inside a GBNF ``[...]`` class."""
    if cp in (0x5C, 0x5D, 0x2D, 0x5E, 0x5B):  # \ ] - ^ [ : GBNF classes take hex escapes only
        return f"\\x{cp:02X}"
    if cp < 0x20 or 0x7F <= cp < 0xA0:
        return f"\\x{cp:02X}"
    if cp > 0xFFFF:
        return f"\\U{cp:08X}"
    if 0xD800 <= cp <= 0xDFFF:
        return f"\\u{cp:04X}"
    return chr(cp)


def normalize_ranges(ranges: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sort and merge inclusive code-point ranges."""
    merged: list[tuple[int, int]] = []
    for lo, hi in sorted(ranges):
        if merged and lo <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return merged


def complement(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Characters (0..0x10FFFF, surrogates excluded) not in ``ranges`` (which must be normalized)."""
    out: list[tuple[int, int]] = []
    start = 0
    for lo, hi in list(ranges) + [(0xD800, 0xDFFF)]:
        if lo > start:
            out.append((start, lo - 1))
        start = max(start, hi + 1)
    if start <= 0x10FFFF:
        out.append((start, 0x10FFFF))
    return normalize_ranges([r for r in out if not (r[0] >= 0xD800 and r[1] <= 0xDFFF)])


# Code points llama.cpp's grammar decoder can produce that are not characters;
# every negated class excludes them so the text is always valid UTF-8.
NOT_CHARACTERS = "\\uD800-\\uDFFF\\U00110000-\\U001FFFFF"


def subtract(ranges: list[tuple[int, int]], removed: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """``ranges`` minus ``removed`` (both normalized)."""
    keep = complement(removed)
    out = []
    for lo, hi in ranges:
        for klo, khi in keep:
            a, b = max(lo, klo), min(hi, khi)
            if a <= b:
                out.append((a, b))
    return normalize_ranges(out)


def char_class(ranges: list[tuple[int, int]]) -> str:
    """A GBNF character class for normalized code-point ranges."""
    parts = []
    for lo, hi in ranges:
        if lo == hi:
            parts.append(_class_char(lo))
        elif hi == lo + 1:
            parts.append(_class_char(lo) + _class_char(hi))
        else:
            parts.append(f"{_class_char(lo)}-{_class_char(hi)}")
    return "[" + "".join(parts) + "]"


_MUST_ESCAPE = normalize_ranges([(0x00, 0x1F), (0x22, 0x22), (0x5C, 0x5C), (0x7F, 0x7F)])


def json_string_chars(ranges: list[tuple[int, int]]) -> Expr | None:
    """One JSON-encoded character from the decoded set ``ranges``, as a grammar tree.

    Returns None when the set is empty.

    >>> print(json_string_chars([(0x61, 0x63), (0x0A, 0x0A)]).text)
    ([a-c] | "\\\\n")
    """
    return _json_string_chars(tuple(ranges))


@functools.lru_cache(maxsize=4096)  # trees are immutable: one per character set (key tries repeat them)
def _json_string_chars(given: tuple[tuple[int, int], ...]) -> Expr | None:
    ranges = subtract(normalize_ranges(given), [(0xD800, 0xDFFF)])  # surrogates are not characters
    raw = subtract(ranges, _MUST_ESCAPE)
    alternatives: list[Expr] = [Cls(char_class(raw))] if raw else []
    escaped = subtract(ranges, complement(_MUST_ESCAPE))
    codes = {cp for lo, hi in escaped for cp in range(lo, hi + 1)}
    if all(cp in codes for cp in range(0x20)):
        alternatives.append(_ANY_CONTROL)  # any control character, escaped
        codes -= set(range(0x20))
    for cp in sorted(codes):
        if cp in _SHORT_ESCAPES:
            alternatives.append(Lit(literal(_SHORT_ESCAPES[cp])))
        else:
            alternatives.append(Lit(literal(f"\\u{cp:04x}")))
    if not alternatives:
        return None
    return alternatives[0] if len(alternatives) == 1 else Group(Alt(tuple(alternatives)))


_ANY_CONTROL = seq(Lit('"\\\\u00"'), Cls("[01]"), Cls("[0-9a-fA-F]"))
