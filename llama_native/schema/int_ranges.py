"""Integer ranges as GBNF: every integer in [minimum, maximum] and nothing else.

A port of the digit-range construction in llama.cpp's
``common/json-schema-to-grammar.cpp`` (``build_min_max_int``), which is C++
outside llama.cpp's C API; the algorithm is kept so both behave alike.
"""

from __future__ import annotations


def int_range_rule(min_value: int | None, max_value: int | None, decimals_left: int = 16) -> str:
    """GBNF (no surrounding rule) matching the decimal integers in the range.

    Example::

        >>> int_range_rule(0, 12)
        '[0-9] | "1" [0-2]'
    """
    out: list[str] = []
    _build(min_value, max_value, out, decimals_left, True)
    return "".join(out)


def _digit_range(out: list[str], lo: str, hi: str) -> None:
    out.append(f"[{lo}]" if lo == hi else f"[{lo}-{hi}]")


def _more_digits(out: list[str], min_digits: int, max_digits: int | None) -> None:
    out.append("[0-9]")
    if min_digits == max_digits == 1:
        return
    out.append("{" + str(min_digits))
    if max_digits != min_digits:
        out.append(",")
        if max_digits is not None:
            out.append(str(max_digits))
    out.append("}")


def _uniform_range(out: list[str], frm: str, to: str) -> None:
    i = 0
    while i < len(frm) and i < len(to) and frm[i] == to[i]:
        i += 1
    if i > 0:
        out.append(f'"{frm[:i]}"')
    if i < len(frm) and i < len(to):
        if i > 0:
            out.append(" ")
        sub_len = len(frm) - i - 1
        if sub_len > 0:
            from_sub, to_sub = frm[i + 1 :], to[i + 1 :]
            sub_zeros, sub_nines = "0" * sub_len, "9" * sub_len
            to_reached = False
            out.append("(")
            if from_sub == sub_zeros:
                _digit_range(out, frm[i], chr(ord(to[i]) - 1))
                out.append(" ")
                _more_digits(out, sub_len, sub_len)
            else:
                out.append(f"[{frm[i]}] (")
                _uniform_range(out, from_sub, sub_nines)
                out.append(")")
                if ord(frm[i]) < ord(to[i]) - 1:
                    out.append(" | ")
                    if to_sub == sub_nines:
                        _digit_range(out, chr(ord(frm[i]) + 1), to[i])
                        to_reached = True
                    else:
                        _digit_range(out, chr(ord(frm[i]) + 1), chr(ord(to[i]) - 1))
                    out.append(" ")
                    _more_digits(out, sub_len, sub_len)
            if not to_reached:
                out.append(" | ")
                _digit_range(out, to[i], to[i])
                out.append(" ")
                _uniform_range(out, sub_zeros, to_sub)
            out.append(")")
        else:
            out.append(f"[{frm[i]}-{to[i]}]")


def _build(min_value: int | None, max_value: int | None, out: list[str], decimals_left: int, top_level: bool) -> None:
    has_min, has_max = min_value is not None, max_value is not None
    if has_min and has_max:
        assert min_value is not None and max_value is not None
        if min_value < 0 and max_value < 0:
            out.append('"-" (')
            _build(-max_value, -min_value, out, decimals_left, True)
            out.append(")")
            return
        if min_value < 0:
            out.append('"-" (')
            _build(0, -min_value, out, decimals_left, True)
            out.append(") | ")
            min_value = 0
        min_s, max_s = str(min_value), str(max_value)
        for digits in range(len(min_s), len(max_s)):
            _uniform_range(out, min_s, "9" * digits)
            min_s = "1" + "0" * digits
            out.append(" | ")
        _uniform_range(out, min_s, max_s)
        return

    less_decimals = max(decimals_left - 1, 1)
    if has_min:
        assert min_value is not None
        if min_value < 0:
            out.append('"-" (')
            _build(None, -min_value, out, decimals_left, False)
            out.append(") | [0] | [1-9] ")
            _more_digits(out, 0, decimals_left - 1)
        elif min_value == 0:
            if top_level:
                out.append("[0] | [1-9] ")
                _more_digits(out, 0, less_decimals)
            else:
                _more_digits(out, 1, decimals_left)
        elif min_value <= 9:
            c = str(min_value)
            range_start = "1" if top_level else "0"
            if c > range_start:
                _digit_range(out, range_start, chr(ord(c) - 1))
                out.append(" ")
                _more_digits(out, 1, less_decimals)
                out.append(" | ")
            _digit_range(out, c, "9")
            out.append(" ")
            _more_digits(out, 0, less_decimals)
        else:
            min_s = str(min_value)
            length, c = len(min_s), min_s[0]
            if c > "1":
                _digit_range(out, "1" if top_level else "0", chr(ord(c) - 1))
                out.append(" ")
                _more_digits(out, length, less_decimals)
                out.append(" | ")
            _digit_range(out, c, c)
            out.append(" (")
            _build(int(min_s[1:]), None, out, less_decimals, False)
            out.append(")")
            if c < "9":
                out.append(" | ")
                _digit_range(out, chr(ord(c) + 1), "9")
                out.append(" ")
                _more_digits(out, length - 1, less_decimals)
        return

    if has_max:
        assert max_value is not None
        if max_value >= 0:
            if top_level:
                out.append('"-" [1-9] ')
                _more_digits(out, 0, less_decimals)
                out.append(" | ")
            _build(0, max_value, out, decimals_left, True)
        else:
            out.append('"-" (')
            _build(-max_value, None, out, decimals_left, False)
            out.append(")")
        return
    raise ValueError("at least one of min_value or max_value must be set")
