"""The rules of :mod:`.gexpr` trees written as llguidance's Lark (its own input, no GBNF text in between).

The trees become the syntax tree llguidance's ``gbnf_to_lark`` module
(its public node classes and ``resolve``) builds from GBNF, and its own
resolver and printer finish the job: rules made only of terminals become
lexemes (UPPERCASE terminals, character classes as ``/[...]/``), which is
what makes llguidance's masks fast, and the text is what ``gbnf_to_lark``
writes for the same grammar.  A literal's or a class's spelling is carried
over escape by escape as llguidance's reader does (:func:`_lark_chars`);
two spellings llguidance leaves for Rust's regex syntax are mended as
:func:`llama_native._llguidance.gbnf_to_llguidance` does.

Example::

    >>> from llama_native.schema.gexpr import Cls, Lit, Ref, Rep, seq
    >>> print(rules_to_lark({"root": seq(Lit('"#"'), Ref("digits")), "digits": Rep(Cls("[0-9]"), 1, None)}), end="")
    %llguidance {}
    <BLANKLINE>
    start: "#" DIGITS
    DIGITS: /[0-9]/+
"""

from __future__ import annotations

import functools
import re
import threading
from typing import Any

from .gexpr import Alt, Cls, Expr, Group, Lit, Ref, Rep, Seq

# Our character classes exclude surrogates and code points above U+10FFFF for
# llama.cpp's engine; llguidance matches Unicode scalars only.
_NON_SCALARS = r"\uD800-\uDFFF\U00110000-\U001FFFFF"
_SHORT_CODE_POINT = re.compile(r"\\U([0-9A-Fa-f]{1,7})(?![0-9A-Fa-f])")


def _gbnf_to_lark_module() -> Any:
    from llguidance import gbnf_to_lark

    return gbnf_to_lark


def available() -> bool:
    """Whether llguidance's Python package (whose syntax tree this builds) is installed."""
    try:
        _gbnf_to_lark_module()
    except ImportError:
        return False
    return True


_HEX = frozenset("0123456789abcdefABCDEF")


@functools.lru_cache(maxsize=4096)
def _lark_chars(spelling: str) -> str:
    """The characters between the delimiters of a GBNF literal or class, spelled as llguidance's reader spells them.

    Escapes stay escapes (``\\n``, ``\\x41``; ``\\u``/``\\U`` without leading
    zeros), and in a class ``/`` and an unescaped ``[`` are escaped for the
    regex; code points llguidance cannot match are dropped first.

    >>> _lark_chars('[a/b]')
    '[a\\\\/b]'
    """
    text = spelling.replace(_NON_SCALARS, "")
    is_class = text.startswith("[")
    out = [text[0]] if is_class else []
    i, end = 1, len(text) - 1
    while i < end:
        c = text[i]
        if c == "\\":
            kind = text[i + 1]
            width = {"x": 2, "u": 4, "U": 8}.get(kind)
            if width is None:
                if kind not in '"\\[]nrt':
                    raise ValueError(f"invalid escape \\{kind} in {spelling!r}")
                out.append("\\" + kind)
                i += 2
                continue
            digits = text[i + 2 : i + 2 + width]
            if len(digits) != width or not set(digits) <= _HEX:
                raise ValueError(f"invalid escape \\{kind}{digits} in {spelling!r}")
            out.append("\\" + kind + (digits if kind == "x" else digits.lstrip("0")))
            i += 2 + width
            continue
        out.append("\\" + c if is_class and c in "/[" else c)
        i += 1
    if is_class:
        out.append("]")
    return "".join(out)


def _node(expr: Expr) -> Any:
    """``expr`` as llguidance's node, shaped as its parser shapes the same GBNF text."""
    g = _gbnf_to_lark_module()
    match expr:
        case Lit(spelling):
            return g.LiteralNode(_lark_chars(spelling))
        case Cls(spelling):
            return g.RegexNode(_lark_chars(spelling))
        case Ref(name):
            return g.RuleRefNode(name)
        case Seq() | Alt():
            return _alternatives(expr)
        case Group(inner):
            return _alternatives(inner)
        case Rep(item, low, high):
            return g.RepetitionNode(_node(item), low, high)
    raise TypeError(f"not a grammar expression: {expr!r}")


def _alternatives(expr: Expr) -> Any:
    """An alternation of sequences (what llguidance's parser makes of a rule body or a group)."""
    g = _gbnf_to_lark_module()
    if isinstance(expr, Seq) and sum(1 for item in expr.items if not _prints_empty(item)) == 1:
        return _alternatives(next(item for item in expr.items if not _prints_empty(item)))
    alternatives: list[Any] = []
    for item in expr.items if isinstance(expr, Alt) else (expr,):
        if isinstance(item, Alt):
            alternatives.extend(_alternatives(item).alternatives)
        else:
            alternatives.append(g.SequenceNode(_sequence(item)))
    return g.AlternativeNode(alternatives)


def _prints_empty(expr: Expr) -> bool:
    return not expr.text


def _sequence(expr: Expr) -> list[Any]:
    """The items of one alternative, nested sequences flattened as in the text."""
    if isinstance(expr, Seq):
        return [node for item in expr.items for node in _sequence(item)]
    if not expr.text:
        return []
    node = _node(expr)
    if isinstance(expr, Alt):  # alternatives written inline: one alternative spliced in
        if len(node.alternatives) != 1:
            raise ValueError(f"alternatives inside a sequence need a group: {expr!r}")
        return list(node.alternatives[0].nodes)
    return [node]


_MEMO: dict[str, str] = {}
_MEMO_SIZE = 256
_memo_lock = threading.Lock()


def memoized_lark(gbnf: str, rules: dict[str, Expr]) -> str:
    """:func:`rules_to_lark`, remembered by the grammar's GBNF text (requests repeat their schemas)."""
    with _memo_lock:
        if gbnf in _MEMO:
            return _MEMO[gbnf]
    lark = rules_to_lark(rules)
    with _memo_lock:
        if len(_MEMO) >= _MEMO_SIZE:
            _MEMO.pop(next(iter(_MEMO)))
        _MEMO[gbnf] = lark
    return lark


def rules_to_lark(rules: dict[str, Expr]) -> str:
    """Llguidance's Lark grammar of ``rules`` (start rule ``root``), as ``gbnf_to_lark`` writes it."""
    g = _gbnf_to_lark_module()
    names = _lark_names(list(rules))
    nodes = {names[name]: g.RuleNode(names[name], _alternatives(body), "") for name, body in rules.items()}
    for rule in nodes.values():
        _rename_references(rule, names)
    g.resolve(nodes)
    out = "%llguidance {}\n\n"
    after_newline = True
    for rule in sorted(nodes.values(), key=lambda r: r.order):
        text = str(rule)
        if not after_newline and "\n" in text:
            out += "\n"
        out += text + "\n"
        after_newline = "\n" in text
        if after_newline:
            out += "\n"
    return _SHORT_CODE_POINT.sub(r"\\U{\1}", out)


def _lark_names(names: list[str]) -> dict[str, str]:
    """Names that stay distinct once llguidance folds them to Lark's (``fooBar`` and ``foo-bar`` both ``foo_bar``)."""
    out: dict[str, str] = {}
    taken = {"start"}  # the start rule's name in Lark
    for name in names:
        folded = re.sub(r"([a-z])([A-Z])", r"\1-\2", name).lower().replace("_", "-")
        unique, i = folded, 1
        while unique in taken:
            i += 1
            unique = f"{folded}-{i}"
        taken.add(unique)
        out[name] = unique if name != "root" else name
    return out


def _rename_references(node: Any, names: dict[str, str]) -> None:
    if isinstance(node, _gbnf_to_lark_module().RuleRefNode) and node.name in names:
        node.name = names[node.name]
    for child in node.children():
        _rename_references(child, names)
