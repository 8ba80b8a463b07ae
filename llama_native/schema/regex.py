"""JSON Schema ``pattern`` to GBNF, for the JSON-encoded string it must match.

The pattern is parsed by Python's own regular-expression parser (``re``),
the engine ``jsonschema`` validates with, so the translated grammar accepts
exactly the strings ``re.search(pattern, s)`` accepts: an unanchored pattern
may be preceded and followed by anything (JSON Schema patterns are not
implicitly anchored), ``\\d``, ``\\w`` and ``\\s`` are Python's Unicode
classes, and ``$`` also matches before a final newline.  Lookarounds,
backreferences, word boundaries and inline flags raise
:class:`UnsupportedPattern`; callers then accept any string and validate the
final output instead.

Why not a library: no maintained library turns a regex into a GBNF grammar
over JSON-escaped text; llama.cpp's own translator is C++ and treats every
pattern as anchored.
"""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Callable
from typing import Any

from .ecma_regex import python_pattern
from .gbnf import MAX_REPETITION, complement, json_string_chars, normalize_ranges
from .gexpr import EMPTY, Alt, Expr, Group, Lit, Rep, Seq, repetition, seq

if sys.version_info >= (3, 11):
    from re import _constants as C
    from re import _parser as sre_parse
else:  # pragma: no cover - Python 3.10
    import sre_constants as C
    import sre_parse

Ranges = list[tuple[int, int]]


class UnsupportedPattern(ValueError):
    """The pattern uses a feature a grammar cannot express."""


def _ranges_where(predicate: Callable[[str], bool]) -> Ranges:
    out: Ranges = []
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        if predicate(chr(cp)):
            if out and out[-1][1] == cp - 1:
                out[-1] = (out[-1][0], cp)
            else:
                out.append((cp, cp))
    return out


@functools.cache
def _category(name: str) -> tuple[tuple[int, int], ...]:
    pattern = {"digit": r"\d", "space": r"\s", "word": r"\w"}[name]
    compiled = re.compile(pattern)
    return tuple(_ranges_where(lambda ch: compiled.fullmatch(ch) is not None))


_CATEGORIES = {
    C.CATEGORY_DIGIT: ("digit", False),
    C.CATEGORY_NOT_DIGIT: ("digit", True),
    C.CATEGORY_SPACE: ("space", False),
    C.CATEGORY_NOT_SPACE: ("space", True),
    C.CATEGORY_WORD: ("word", False),
    C.CATEGORY_NOT_WORD: ("word", True),
}


def _category_ranges(code: object) -> Ranges:
    if code not in _CATEGORIES:
        raise UnsupportedPattern(f"unsupported character category {code}")
    name, negated = _CATEGORIES[code]
    ranges = list(_category(name))
    return complement(ranges) if negated else ranges


def _class_ranges(items: list) -> Ranges:
    ranges: Ranges = []
    negate = False
    for op, arg in items:
        if op is C.NEGATE:
            negate = True
        elif op is C.LITERAL:
            ranges.append((arg, arg))
        elif op is C.RANGE:
            ranges.append((arg[0], arg[1]))
        elif op is C.CATEGORY:
            ranges.extend(_category_ranges(arg))
        else:
            raise UnsupportedPattern(f"unsupported item in a character class: {op}")
    ranges = normalize_ranges(ranges)
    return complement(ranges) if negate else ranges


class _Translator:
    def __init__(self) -> None:
        self.unbounded_repeats = False  # a repeat bound above MAX_REPETITION was relaxed

    def chars(self, ranges: Ranges) -> Expr:
        rule = json_string_chars(ranges)
        if rule is None:
            raise UnsupportedPattern("a character class that matches nothing")
        return rule

    def sequence(self, items: list) -> Expr:
        parts = [self.node(op, arg) for op, arg in items]
        parts = [p for p in parts if p.text]
        return Seq(tuple(parts)) if parts else _EMPTY_STRING

    def node(self, op: object, arg: Any) -> Expr:
        if op is C.LITERAL:
            return self.chars([(arg, arg)])
        if op is C.NOT_LITERAL:
            return self.chars(complement([(arg, arg)]))
        if op is C.ANY:
            return self.chars(complement([(0x0A, 0x0A)]))
        if op is C.IN:
            return self.chars(_class_ranges(arg))
        if op is C.BRANCH:
            _, branches = arg
            return Group(Alt(tuple(self.sequence(list(b)) for b in branches)))
        if op is C.SUBPATTERN:
            _group, add_flags, del_flags, sub = arg
            if add_flags or del_flags:
                raise UnsupportedPattern("inline flags inside the pattern")
            return Group(self.sequence(list(sub)))
        if op in (C.MAX_REPEAT, C.MIN_REPEAT, getattr(C, "POSSESSIVE_REPEAT", None)):
            low, high, sub = arg
            if low > MAX_REPETITION:
                raise UnsupportedPattern(f"repetition of at least {low}")
            if high is C.MAXREPEAT:
                high = None
            elif high > MAX_REPETITION:
                self.unbounded_repeats = True
                high = None
            return repetition(Group(self.sequence(list(sub))), low, high)
        if op is getattr(C, "ATOMIC_GROUP", None):
            return Group(self.sequence(list(arg)))
        if op is C.AT:
            raise UnsupportedPattern("an anchor inside the pattern")
        raise UnsupportedPattern(f"unsupported regular-expression feature {op}")


_EMPTY_STRING = Lit('""')
_FINAL_NEWLINE = Lit('"\\\\n"')


@functools.cache
def _any_text() -> Expr:
    anything = json_string_chars([(0, 0x10FFFF)])
    assert anything is not None, "every character"
    return Rep(anything, 0, None)


def _anchored_alternative(items: list, tr: _Translator) -> Expr:
    starts = bool(items) and items[0][0] is C.AT and items[0][1] in (C.AT_BEGINNING, C.AT_BEGINNING_STRING)
    if starts:
        items = items[1:]
    end_kind = None
    if items and items[-1][0] is C.AT and items[-1][1] in (C.AT_END, C.AT_END_STRING):
        end_kind = items[-1][1]
        items = items[:-1]
    body = tr.sequence(items)
    parts = [] if starts else [_any_text()]
    parts.append(body)
    if end_kind is None:
        parts.append(_any_text())
    elif end_kind is C.AT_END:
        parts.append(Rep(_FINAL_NEWLINE, 0, 1))  # Python's $ also matches before a final newline
    return Seq(tuple(parts))


def pattern_to_gbnf(pattern: str) -> tuple[str, bool]:
    """GBNF for the *contents* of a JSON string matching ``pattern`` (no quotes).

    Returns ``(gbnf, exact)``: ``exact`` is False when a repetition bound was
    too large to write out and was relaxed (the grammar then accepts a superset).

    Example::

        >>> pattern_to_gbnf("^[0-9]{3}$")
        ('([0-9]){3} "\\\\\\\\n"?', True)
    """
    expr, exact = pattern_expr(pattern)
    return expr.text, exact


@functools.lru_cache(maxsize=4096)  # the normaliser checks a pattern, the emitter writes it
def pattern_expr(pattern: str) -> tuple[Expr, bool]:
    """The tree of :func:`pattern_to_gbnf` (an :class:`UnsupportedPattern` or ``ValueError`` likewise)."""
    try:
        parsed = sre_parse.parse(python_pattern(pattern))
    except re.error as exc:
        raise ValueError(f"invalid pattern {pattern!r}: {exc}") from None
    flags = parsed.state.flags & ~(re.UNICODE | getattr(re, "TEMPLATE", 0))
    if flags:
        raise UnsupportedPattern(f"pattern flags {re.RegexFlag(flags)!r}")
    tr = _Translator()
    items: list[Any] = list(parsed.data)
    if len(items) == 1 and items[0][0] is C.BRANCH:
        _, branches = items[0][1]
        rule: Expr = Group(Alt(tuple(_anchored_alternative(list(b), tr) for b in branches)))
    else:
        rule = _anchored_alternative(items, tr)
    return rule, not tr.unbounded_repeats


def _single_class(node: tuple[Any, Any]) -> Ranges:
    op, arg = node
    if op is C.LITERAL:
        return [(arg, arg)]
    if op is C.NOT_LITERAL:
        return complement([(arg, arg)])
    if op is C.ANY:
        return complement([(0x0A, 0x0A)])
    if op is C.IN:
        return _class_ranges(arg)
    raise UnsupportedPattern("not a single character class")


@functools.lru_cache(maxsize=4096)
def pattern_with_length(pattern: str, min_len: int, max_len: int | None) -> Expr | None:
    """The grammar tree of strings matching ``pattern`` whose length is in [min_len, max_len], or None.

    Handles the common shape of a single character class repeated, anchored
    (``^[a-z0-9_]+$``: the bounds intersect) or unanchored (``[0-9a-f]+``:
    at least one such character somewhere, for ``max_len`` up to 64).
    Returns None for any other pattern (the caller validates afterwards).
    """
    try:
        parsed = sre_parse.parse(python_pattern(pattern))
    except re.error:
        return None
    if parsed.state.flags & ~(re.UNICODE | getattr(re, "TEMPLATE", 0)):
        return None
    items: list[Any] = list(parsed.data)
    starts = bool(items) and items[0][0] is C.AT and items[0][1] in (C.AT_BEGINNING, C.AT_BEGINNING_STRING)
    if starts:
        items = items[1:]
    ends = bool(items) and items[-1][0] is C.AT and items[-1][1] is C.AT_END_STRING
    dollar = bool(items) and items[-1][0] is C.AT and items[-1][1] is C.AT_END
    if ends or dollar:
        items = items[:-1]
    if len(items) != 1 or items[0][0] not in (C.MAX_REPEAT, C.MIN_REPEAT, getattr(C, "POSSESSIVE_REPEAT", None)):
        return None
    low, high, sub = items[0][1]
    sub = list(sub)
    if len(sub) != 1:
        return None
    try:
        ranges = _single_class(sub[0])
    except UnsupportedPattern:
        return None
    high = None if high is C.MAXREPEAT else high
    chars = json_string_chars(ranges)
    if chars is None:
        return None
    if starts and (ends or dollar):

        def counts(lo: int, hi: int | None) -> Expr | None:
            """`chars` repeated lo..hi times (None: an empty range); raises UnsupportedPattern above the limit."""
            if hi is not None and lo > hi:
                return None
            if lo > MAX_REPETITION or (hi is not None and hi > MAX_REPETITION):
                raise UnsupportedPattern("bounds above the repetition limit")
            repeated = repetition(chars, lo, hi)
            return repeated if repeated.text else _EMPTY_STRING

        def upper(limit: int | None) -> int | None:
            return high if limit is None else (limit if high is None else min(high, limit))

        try:
            plain = counts(max(low, min_len), upper(max_len))
            # Python's $ also matches before a final newline, which counts towards the length
            before_newline = (
                counts(max(low, min_len - 1), upper(None if max_len is None else max_len - 1)) if dollar else None
            )
        except UnsupportedPattern:
            return None
        ended = None if before_newline is None else seq(before_newline, _FINAL_NEWLINE)
        alternatives = [a for a in (plain, ended) if a is not None]
        if not alternatives:
            raise ValueError(f"no string matches {pattern!r} with length {min_len}..{max_len}")
        return alternatives[0] if len(alternatives) == 1 else Group(Alt(tuple(alternatives)))
    if not starts and not (ends or dollar) and low == 1 and max_len is not None and max_len <= 64:
        other = json_string_chars(complement(normalize_ranges(ranges)))
        anything = json_string_chars(complement([]))
        if anything is None:  # cannot happen: every character
            return None
        found: list[Expr] = []
        for k in range(0, max_len):
            if k == 0:
                prefix: Expr = EMPTY
            elif other is not None:
                prefix = repetition(other, k, k)
            else:
                continue
            rest_lo, rest_hi = max(0, min_len - 1 - k), max_len - 1 - k
            rest = repetition(anything, rest_lo, rest_hi) if rest_hi > 0 else EMPTY
            found.append(Seq(tuple(p for p in (prefix, chars, rest) if p.text)))
        return Group(Alt(tuple(found))) if found else None
    return None
