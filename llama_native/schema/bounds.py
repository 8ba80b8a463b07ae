"""Numeric bounds of a schema, with draft 4's boolean ``exclusiveMinimum``/``exclusiveMaximum`` and later numbers.

Example::

    >>> from llama_native.schema.bounds import integer_bounds, number_bounds
    >>> integer_bounds({"minimum": 1.5, "exclusiveMaximum": 10})
    (2, 9)
    >>> number_bounds({"minimum": 0, "exclusiveMinimum": True})
    (0, True, None, False)
"""

from __future__ import annotations

import math
from typing import Any

from .errors import UnsatisfiableSchemaError


def integer_bounds(schema: dict[str, Any]) -> tuple[int | None, int | None]:
    """Inclusive (lowest, highest) integer a schema allows (None: unbounded); raises when none lies between."""
    lo: int | None = None
    hi: int | None = None
    if "minimum" in schema:
        lo = math.ceil(schema["minimum"])
        if schema.get("exclusiveMinimum") is True and lo == schema["minimum"]:
            lo += 1
    if "exclusiveMinimum" in schema and not isinstance(schema["exclusiveMinimum"], bool):
        candidate = math.floor(schema["exclusiveMinimum"]) + 1
        lo = candidate if lo is None else max(lo, candidate)
    if "maximum" in schema:
        hi = math.floor(schema["maximum"])
        if schema.get("exclusiveMaximum") is True and hi == schema["maximum"]:
            hi -= 1
    if "exclusiveMaximum" in schema and not isinstance(schema["exclusiveMaximum"], bool):
        candidate = math.ceil(schema["exclusiveMaximum"]) - 1
        hi = candidate if hi is None else min(hi, candidate)
    if lo is not None and hi is not None and lo > hi:
        raise UnsatisfiableSchemaError(f"no integer lies between {lo} and {hi}", "minimum")
    return lo, hi


def number_bounds(schema: dict[str, Any]) -> tuple[float | None, bool, float | None, bool]:
    """(minimum, minimum is exclusive, maximum, maximum is exclusive) of a number schema."""
    lo = schema.get("minimum")
    lo_ex = schema.get("exclusiveMinimum") is True
    if "exclusiveMinimum" in schema and not isinstance(schema["exclusiveMinimum"], bool):
        lo, lo_ex = schema["exclusiveMinimum"], True
    hi = schema.get("maximum")
    hi_ex = schema.get("exclusiveMaximum") is True
    if "exclusiveMaximum" in schema and not isinstance(schema["exclusiveMaximum"], bool):
        hi, hi_ex = schema["exclusiveMaximum"], True
    return lo, lo_ex, hi, hi_ex
