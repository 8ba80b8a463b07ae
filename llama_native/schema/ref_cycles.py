"""Definitions that reach themselves through unions and refs alone, made non-left-recursive.

``{"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"anyOf": [{"$ref": "#/$defs/a"},
{"type": "string"}]}}}`` gives ``a ::= b``, ``b ::= a | string``: llama.cpp
refuses that grammar ("left recursion detected").  Every definition of such a
cycle accepts the same values, the union of what its members offer besides
each other, so each gets that union.

Example::

    >>> from llama_native.schema.normalize import normalize_schema
    >>> result = normalize_schema({"$defs": {"a": {"$ref": "#/$defs/b"},
    ...                                      "b": {"anyOf": [{"$ref": "#/$defs/a"}, {"type": "null"}]}},
    ...                            "items": {"$ref": "#/$defs/a"}})
    >>> [(d.name, d.node) for d in result.definitions.values()]
    [('a', Alternatives(alternatives=[('0', NullType())]))]
"""

from __future__ import annotations

from .errors import UnsupportedSchemaError
from .nodes import Alternatives, Definition, Node, Ref


def _bare_parts(node: Node | None) -> list[Node]:
    """The alternatives a node offers before any JSON is written (nested unions flattened, refs kept)."""
    if isinstance(node, Alternatives):
        return [part for _, alt in node.alternatives for part in _bare_parts(alt)]
    return [] if node is None else [node]


def break_bare_cycles(definitions: dict[str, Definition]) -> None:
    """Rewrite definitions that reach themselves through unions and refs alone (``a = a | string``).

    llama.cpp refuses such left-recursive rules.  Every definition of one
    cycle accepts the same values: the union of what its members offer
    besides each other, so each gets that union.
    """
    reach: dict[str, set[str]] = {}
    for key, definition in definitions.items():
        seen: set[str] = set()
        todo = [part.key for part in _bare_parts(definition.node) if isinstance(part, Ref)]
        while todo:
            target = todo.pop()
            if target not in seen and target in definitions:
                seen.add(target)
                todo += [p.key for p in _bare_parts(definitions[target].node) if isinstance(p, Ref)]
        reach[key] = seen
    for key in [k for k in definitions if k in reach[k]]:
        cycle = {k for k in reach[key] if key in reach[k]}
        parts = [
            part
            for member in sorted(cycle, key=list(definitions).index)
            for part in _bare_parts(definitions[member].node)
            if not (isinstance(part, Ref) and part.key in cycle)
        ]
        if not parts:
            raise UnsupportedSchemaError("the schema only refers to itself and accepts no value", "$ref")
        definitions[key].node = Alternatives([(str(i), part) for i, part in enumerate(parts)])
