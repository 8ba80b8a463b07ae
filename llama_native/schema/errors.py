"""What conversion reports: refused schemas, and keywords the grammar only approximates.

Example::

    >>> from llama_native.schema import json_schema_to_gbnf
    >>> from llama_native.schema.errors import UnsatisfiableSchemaError
    >>> try:
    ...     json_schema_to_gbnf({"type": "integer", "minimum": 5, "maximum": 1})
    ... except UnsatisfiableSchemaError as exc:
    ...     print(exc)
    no integer lies between 5 and 1 (keyword 'minimum' at /)
"""

from __future__ import annotations

from dataclasses import dataclass


class UnsupportedSchemaError(ValueError):
    """A schema keyword the grammar cannot enforce (``strict=True``), or an invalid schema.

    ``keyword`` and ``pointer`` (a JSON pointer into the schema) name the place.
    """

    def __init__(self, message: str, keyword: str = "", pointer: str = "") -> None:
        super().__init__(f"{message} (keyword {keyword!r} at {pointer or '/'})" if keyword else message)
        self.keyword = keyword
        self.pointer = pointer


class UnsatisfiableSchemaError(UnsupportedSchemaError):
    """The (sub)schema accepts no value at all (``false``, contradictory bounds, an impossible enum, ...)."""


class StrictModeError(UnsupportedSchemaError):
    """``strict=True`` refused a keyword the grammar could only approximate."""


@dataclass
class Unenforced:
    """A keyword accepted as a superset by the grammar and checked after generation."""

    keyword: str
    pointer: str
    reason: str = ""
