"""A small grammar expression tree: what the emitters build, printed as GBNF or as llguidance's Lark.

The emitters of :mod:`.emit` (and the helpers for JSON's fixed rules,
formats, integer ranges and patterns) build each rule body as a tree of
these nodes: a sequence, alternatives, a parenthesised group, a repetition
``{m,n}``, a literal, a character class, a rule reference.  Each node
knows its GBNF text (``.text``, written once when the node is made, from
its children's), the grammar llama.cpp's engine reads; :mod:`.lark` turns
the same trees into llguidance's Lark, so a schema is compiled once to both
and no GBNF text is read back.  Nodes compare by identity: two rules are the
same when their text is (see ``GbnfEmitter.add_rule``).

Example::

    >>> from llama_native.schema.gexpr import Alt, Group, Lit, Ref, Rep, Seq, gbnf
    >>> gbnf(Seq((Lit('"["'), Rep(Group(Alt((Ref("a"), Lit('"b"')))), 0, None), Lit('"]"'))))
    '"[" (a | "b")* "]"'
"""

from __future__ import annotations


class _Node:
    """What every node has: its GBNF text."""

    __slots__ = ("text",)
    text: str

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.text!r})"


class Lit(_Node):
    """A GBNF string literal, as spelled (quotes included): ``'"\\\\""'`` is one double quote."""

    __slots__ = ("spelling",)
    __match_args__ = ("spelling",)

    def __init__(self, spelling: str) -> None:
        self.spelling = self.text = spelling


class Cls(_Node):
    """A GBNF character class, as spelled: ``"[0-9a-f]"``."""

    __slots__ = ("spelling",)
    __match_args__ = ("spelling",)

    def __init__(self, spelling: str) -> None:
        self.spelling = self.text = spelling


class Ref(_Node):
    """A reference to the rule ``name``."""

    __slots__ = ("name",)
    __match_args__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = self.text = name


class Seq(_Node):
    """Items one after the other (empty items are skipped; no items: the empty string)."""

    __slots__ = ("items",)
    __match_args__ = ("items",)

    def __init__(self, items: tuple[Expr, ...]) -> None:
        self.items = items
        self.text = " ".join([item.text for item in items if item.text])


class Alt(_Node):
    """One of the alternatives (inside a sequence it must sit in a :class:`Group`).

    An empty first alternative prints as a leading ``|`` (``| " "``: nothing or a space).
    """

    __slots__ = ("items",)
    __match_args__ = ("items",)

    def __init__(self, items: tuple[Expr, ...]) -> None:
        self.items = items
        text = " | ".join([item.text for item in items])
        self.text = text[1:] if text.startswith(" | ") else text


class Group(_Node):
    """A parenthesised expression (``pad``: spelled ``( x )``, as some fixed rules are)."""

    __slots__ = ("inner",)
    __match_args__ = ("inner",)

    def __init__(self, inner: Expr, pad: bool = False) -> None:
        self.inner = inner
        self.text = f"( {inner.text} )" if pad else f"({inner.text})"


class Rep(_Node):
    """``item`` repeated ``low`` to ``high`` times (None: unbounded); ``item`` must be atomic.

    ``braces``: always spelled ``{m,n}`` or ``{m}`` (as llama.cpp's integer
    ranges write ``[0-9]{0,1}``), not ``?`` ``*`` ``+``; otherwise a
    repetition at most zero times prints as nothing.
    """

    __slots__ = ("item", "low", "high", "braces")
    __match_args__ = ("item", "low", "high")

    def __init__(self, item: Expr, low: int, high: int | None, braces: bool = False) -> None:
        self.item, self.low, self.high, self.braces = item, low, high, braces
        self.text = _repeated(item.text, low, high, braces)


def _repeated(text: str, low: int, high: int | None, braces: bool) -> str:
    if braces:
        return f"{text}{{{low}}}" if low == high else f"{text}{{{low},{'' if high is None else high}}}"
    if high == 0:
        return ""
    if high is None:
        return text + ("*" if low == 0 else "+" if low == 1 else f"{{{low},}}")
    if (low, high) == (0, 1):
        return text + "?"
    if low == high:
        return f"{text}{{{low}}}"
    return f"{text}{{{low},{high}}}"


Expr = Lit | Cls | Ref | Seq | Alt | Group | Rep
EMPTY = Seq(())


def seq(*items: Expr) -> Seq:
    """A sequence of ``items`` (a shorthand for ``Seq(items)``)."""
    return Seq(items)


def alt(*items: Expr) -> Alt:
    """Alternatives (a shorthand for ``Alt(items)``)."""
    return Alt(items)


def group(*alternatives: Expr) -> Group:
    """``(a | b | ...)``: a group of alternatives (one item: a group of it)."""
    return Group(alternatives[0] if len(alternatives) == 1 else Alt(alternatives))


def gbnf(expr: Expr) -> str:
    """The GBNF text of ``expr``."""
    return expr.text


def is_empty(expr: Expr) -> bool:
    """Whether ``expr`` prints as nothing (it then matches the empty string)."""
    return not expr.text


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
