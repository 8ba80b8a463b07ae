"""A small grammar expression tree: what the emitters build, printed as GBNF or as llguidance's Lark.

Nodes compare by identity (two rules are the same when their GBNF text is:
see ``GbnfEmitter.add_rule``), so printing a large tree stays cheap.

The emitters of :mod:`.emit` build each rule body as a tree of these nodes
(a sequence, alternatives, a parenthesised group, a repetition ``{m,n}``, a
literal, a character class, a rule reference).  :func:`gbnf` prints the
GBNF text llama.cpp's engine reads; :mod:`.lark` turns the same trees into
llguidance's Lark, so a schema is compiled once to both and no GBNF text is
read back.  ``Raw`` holds a GBNF fragment from a helper that writes text
(fixed JSON rules, formats, integer ranges, patterns): printed as is, and
read by llguidance's own GBNF reader for Lark.

Example::

    >>> from llama_native.schema.gexpr import Alt, Group, Lit, Ref, Rep, Seq, gbnf
    >>> gbnf(Seq((Lit('"["'), Rep(Group(Alt((Ref("a"), Lit('"b"')))), 0, None), Lit('"]"'))))
    '"[" (a | "b")* "]"'
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, eq=False)
class Lit:
    """A GBNF string literal, as spelled (quotes included): ``'"\\\\""'`` is one double quote."""

    spelling: str


@dataclass(frozen=True, eq=False)
class Cls:
    """A GBNF character class, as spelled: ``"[0-9a-f]"``."""

    spelling: str


@dataclass(frozen=True, eq=False)
class Ref:
    """A reference to the rule ``name``."""

    name: str


@dataclass(frozen=True, eq=False)
class Raw:
    """A GBNF fragment written as text by a helper not converted to trees."""

    text: str


@dataclass(frozen=True, eq=False)
class Seq:
    """Items one after the other (empty items are skipped; no items: the empty string)."""

    items: tuple[Expr, ...]


@dataclass(frozen=True, eq=False)
class Alt:
    """One of the alternatives (inside a sequence it must sit in a :class:`Group`)."""

    items: tuple[Expr, ...]


@dataclass(frozen=True, eq=False)
class Group:
    """A parenthesised expression."""

    inner: Expr


@dataclass(frozen=True, eq=False)
class Rep:
    """``item`` repeated ``low`` to ``high`` times (None: unbounded); ``item`` must be atomic."""

    item: Expr
    low: int
    high: int | None


Expr = Lit | Cls | Ref | Raw | Seq | Alt | Group | Rep
EMPTY = Seq(())


def seq(*items: Expr) -> Seq:
    """A sequence of ``items`` (a shorthand for ``Seq(items)``)."""
    return Seq(items)


def gbnf(expr: Expr) -> str:
    """The GBNF text of ``expr`` (printed once per node, then remembered on it)."""
    text: str | None = expr.__dict__.get("_gbnf")
    if text is None:
        text = _print(expr)
        object.__setattr__(expr, "_gbnf", text)
    return text


def _print(expr: Expr) -> str:
    match expr:
        case Lit(spelling) | Cls(spelling):
            return spelling
        case Ref(name):
            return name
        case Raw(text):
            return text
        case Seq(items):
            return " ".join(text for text in (gbnf(item) for item in items) if text)
        case Alt(items):
            return " | ".join(gbnf(item) for item in items)
        case Group(inner):
            return f"({gbnf(inner)})"
        case Rep(item, low, high):
            text = gbnf(item)
            if high == 0:
                return ""
            if high is None:
                return text + ("*" if low == 0 else "+" if low == 1 else f"{{{low},}}")
            if (low, high) == (0, 1):
                return text + "?"
            if low == high:
                return f"{text}{{{low}}}"
            return f"{text}{{{low},{high}}}"
    raise TypeError(f"not a grammar expression: {expr!r}")


def is_empty(expr: Expr) -> bool:
    """Whether ``expr`` prints as nothing (it then matches the empty string)."""
    return gbnf(expr) == ""


def repetition(item: Expr, low: int, high: int | None, separator: Expr | None = None) -> Expr:
    """``item`` repeated ``low``..``high`` times (None: unbounded), separated by ``separator``.

    >>> gbnf(repetition(Ref("x"), 0, 3, seq(Lit('","'), Ref("space"))))
    '(x ("," space x){0,2})?'
    """
    if high == 0:
        return EMPTY
    if low == 0 and high == 1:
        return Rep(item, 0, 1)
    if separator is None:
        return item if low == high == 1 else Rep(item, low, high)
    rest = repetition(Group(seq(separator, item)), max(low - 1, 0), None if high is None else high - 1)
    result = seq(item, rest)
    return Rep(Group(result), 0, 1) if low == 0 else result
