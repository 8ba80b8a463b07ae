"""The typed intermediate form between a JSON Schema and its grammar.

:mod:`.normalize` turns a raw schema into these nodes (``$ref`` resolved to
:class:`Ref`, ``allOf`` merged, types inferred, unsatisfiable branches
dropped, unenforceable keywords noted); :mod:`.emit` writes each node as
GBNF.  A node says exactly what the grammar enforces: anything it cannot
hold is already recorded in :attr:`NormalizedSchema.unenforced` and checked
on the finished value.  The shape follows llguidance's ``json/schema.rs``
``Schema`` enum and xgrammar's schema spec.

Example::

    >>> from llama_native.schema.normalize import normalize_schema
    >>> normalize_schema({"type": "array", "items": {"type": "integer", "minimum": 0},
    ...                   "maxItems": 3}).root
    ArrayType(prefix=[], items=IntegerType(minimum=0, maximum=None), min_items=0, max_items=3)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeAlias

from .errors import Unenforced


@dataclass(frozen=True)
class AnyValue:
    """Any JSON value (``true``, ``{}``, a schema that constrains nothing)."""


@dataclass(frozen=True)
class Literals:
    """One of the listed JSON values (``enum``, ``const``)."""

    values: list[Any]


@dataclass(frozen=True)
class BooleanType:
    """``true`` or ``false``."""


@dataclass(frozen=True)
class NullType:
    """``null``."""


@dataclass(frozen=True)
class IntegerType:
    """An integer within inclusive bounds (``None``: unbounded)."""

    minimum: int | None = None
    maximum: int | None = None


@dataclass(frozen=True)
class NumberType:
    """A JSON number; ``non_negative`` drops the minus sign (other bounds are checked afterwards)."""

    non_negative: bool = False


@dataclass(frozen=True)
class StringType:
    """A string: its length bounds, and a regex ``pattern`` or a named ``format`` it must match.

    With a pattern, the length bounds are those the grammar combines with it
    (both zero and ``None`` when it cannot).
    """

    min_length: int = 0
    max_length: int | None = None
    pattern: str | None = None
    format: str | None = None


@dataclass(frozen=True)
class ArrayType:
    """``prefix`` items in order, then ``items`` (``None``: no more) within the count bounds."""

    prefix: list[Node]
    items: Node | None
    min_items: int = 0
    max_items: int | None = None


@dataclass(frozen=True)
class Property:
    """A declared key of an object, its value and whether it must appear."""

    name: str
    value: Node
    required: bool


@dataclass(frozen=True)
class PatternProperty:
    """Keys matching ``key_pattern`` (``None``: any key the grammar cannot restrict) with their value."""

    key_pattern: str | None
    value: Node


@dataclass(frozen=True)
class ObjectType:
    """Declared keys in emission order, and extra keys (pattern keys, or any key not in ``excluded_keys``).

    ``additional`` is the value of other keys; ``None`` when no other key may
    appear.  Extra keys follow the declared ones; with ``any_order`` all keys
    come in any order.
    """

    properties: list[Property]
    pattern_properties: list[PatternProperty] = field(default_factory=list)
    additional: Node | None = None
    excluded_keys: list[str] = field(default_factory=list)
    any_order: bool = False


@dataclass(frozen=True)
class Alternatives:
    """Any one of the alternatives (``anyOf``, ``oneOf``, a list of types), each with a label for its rule."""

    alternatives: list[tuple[str, Node]]


@dataclass(frozen=True)
class Ref:
    """The schema at ``key`` in :attr:`NormalizedSchema.definitions` (may be recursive)."""

    key: str


Node: TypeAlias = (
    AnyValue
    | Literals
    | BooleanType
    | NullType
    | IntegerType
    | NumberType
    | StringType
    | ArrayType
    | ObjectType
    | Alternatives
    | Ref
)


@dataclass
class Definition:
    """A ``$ref`` target: the rule name it suggests, and its node (``None`` while being normalised)."""

    name: str
    node: Node | None = None


@dataclass
class NormalizedSchema:
    """A schema as nodes: the root, the ``$ref`` targets it reaches, and what the grammar relaxes."""

    root: Node
    definitions: dict[str, Definition] = field(default_factory=dict)
    unenforced: list[Unenforced] = field(default_factory=list)
