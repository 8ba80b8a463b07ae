"""Integer ranges as grammar trees: every integer in [minimum, maximum] and nothing else.

A port of the digit-range construction in llama.cpp's
``common/json-schema-to-grammar.cpp`` (``build_min_max_int``), which is C++
outside llama.cpp's C API; the algorithm is kept so both behave alike.
"""

from __future__ import annotations

from .gexpr import Alt, Cls, Expr, Group, Lit, Rep, Seq, seq

_DIGIT = Cls("[0-9]")
_MINUS = Lit('"-"')


def int_range_rule(min_value: int | None, max_value: int | None, decimals_left: int = 16) -> str:
    """GBNF (no surrounding rule) matching the decimal integers in the range.

    Example::

        >>> int_range_rule(0, 12)
        '[0-9] | "1" [0-2]'
    """
    return int_range(min_value, max_value, decimals_left).text


def int_range(min_value: int | None, max_value: int | None, decimals_left: int = 16) -> Expr:
    """The expression tree of :func:`int_range_rule` (alternatives, not grouped)."""
    return _alternatives(_build(min_value, max_value, decimals_left, True))


def _alternatives(items: list[Expr]) -> Expr:
    return items[0] if len(items) == 1 else Alt(tuple(items))


def _digit_range(lo: str, hi: str) -> Cls:
    return Cls(f"[{lo}]" if lo == hi else f"[{lo}-{hi}]")


def _more_digits(min_digits: int, max_digits: int) -> Expr:
    return _DIGIT if min_digits == max_digits == 1 else Rep(_DIGIT, min_digits, max_digits, braces=True)


def _uniform_range(frm: str, to: str) -> Seq:
    i = 0
    while i < len(frm) and i < len(to) and frm[i] == to[i]:
        i += 1
    out: list[Expr] = []
    if i > 0:
        out.append(Lit(f'"{frm[:i]}"'))
    if i < len(frm) and i < len(to):
        sub_len = len(frm) - i - 1
        if sub_len > 0:
            from_sub, to_sub = frm[i + 1 :], to[i + 1 :]
            sub_zeros, sub_nines = "0" * sub_len, "9" * sub_len
            to_reached = False
            alternatives: list[Expr] = []
            if from_sub == sub_zeros:
                alternatives.append(seq(_digit_range(frm[i], chr(ord(to[i]) - 1)), _more_digits(sub_len, sub_len)))
            else:
                alternatives.append(seq(Cls(f"[{frm[i]}]"), Group(_uniform_range(from_sub, sub_nines))))
                if ord(frm[i]) < ord(to[i]) - 1:
                    if to_sub == sub_nines:
                        digits = _digit_range(chr(ord(frm[i]) + 1), to[i])
                        to_reached = True
                    else:
                        digits = _digit_range(chr(ord(frm[i]) + 1), chr(ord(to[i]) - 1))
                    alternatives.append(seq(digits, _more_digits(sub_len, sub_len)))
            if not to_reached:
                alternatives.append(seq(_digit_range(to[i], to[i]), _uniform_range(sub_zeros, to_sub)))
            out.append(Group(_alternatives(alternatives)))
        else:
            out.append(Cls(f"[{frm[i]}-{to[i]}]"))
    return Seq(tuple(out))


def _negative(inner: list[Expr]) -> Seq:
    """``"-" (inner)``."""
    return seq(_MINUS, Group(_alternatives(inner)))


def _build(min_value: int | None, max_value: int | None, decimals_left: int, top_level: bool) -> list[Expr]:
    """The alternatives matching the range."""
    has_min, has_max = min_value is not None, max_value is not None
    if has_min and has_max:
        assert min_value is not None and max_value is not None
        if min_value < 0 and max_value < 0:
            return [_negative(_build(-max_value, -min_value, decimals_left, True))]
        out: list[Expr] = []
        if min_value < 0:
            out.append(_negative(_build(0, -min_value, decimals_left, True)))
            min_value = 0
        min_s, max_s = str(min_value), str(max_value)
        for digits in range(len(min_s), len(max_s)):
            out.append(_uniform_range(min_s, "9" * digits))
            min_s = "1" + "0" * digits
        out.append(_uniform_range(min_s, max_s))
        return out

    less_decimals = max(decimals_left - 1, 1)
    if has_min:
        assert min_value is not None
        if min_value < 0:
            return [
                _negative(_build(None, -min_value, decimals_left, False)),
                Cls("[0]"),
                seq(Cls("[1-9]"), _more_digits(0, decimals_left - 1)),
            ]
        if min_value == 0:
            if top_level:
                return [Cls("[0]"), seq(Cls("[1-9]"), _more_digits(0, less_decimals))]
            return [_more_digits(1, decimals_left)]
        if min_value <= 9:
            c = str(min_value)
            range_start = "1" if top_level else "0"
            out = []
            if c > range_start:
                out.append(seq(_digit_range(range_start, chr(ord(c) - 1)), _more_digits(1, less_decimals)))
            out.append(seq(_digit_range(c, "9"), _more_digits(0, less_decimals)))
            return out
        min_s = str(min_value)
        length, c = len(min_s), min_s[0]
        out = []
        if c > "1":
            below = _digit_range("1" if top_level else "0", chr(ord(c) - 1))
            out.append(seq(below, _more_digits(length, less_decimals)))
        out.append(seq(_digit_range(c, c), Group(_alternatives(_build(int(min_s[1:]), None, less_decimals, False)))))
        if c < "9":
            out.append(seq(_digit_range(chr(ord(c) + 1), "9"), _more_digits(length - 1, less_decimals)))
        return out

    if has_max:
        assert max_value is not None
        if max_value >= 0:
            out = [seq(_MINUS, Cls("[1-9]"), _more_digits(0, less_decimals))] if top_level else []
            return out + _build(0, max_value, decimals_left, True)
        return [_negative(_build(-max_value, None, decimals_left, False))]
    raise ValueError("at least one of min_value or max_value must be set")
