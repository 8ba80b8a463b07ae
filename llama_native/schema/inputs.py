"""Turn what users pass as a schema into a JSON Schema dict.

Accepts a dict, a JSON string, a pydantic model class (or instance), a
TypedDict, a dataclass, or any type pydantic's ``TypeAdapter`` understands.
"""

from __future__ import annotations

import json
from typing import Any


def to_json_schema(schema: Any) -> dict[str, Any] | bool:
    """Return the JSON Schema for ``schema``.

    Example::

        >>> from pydantic import BaseModel
        >>> class Person(BaseModel):
        ...     name: str
        ...     age: int
        >>> to_json_schema(Person)["required"]
        ['name', 'age']
    """
    if isinstance(schema, bool):
        return schema
    if isinstance(schema, dict):
        return schema
    if isinstance(schema, (str, bytes)):
        try:
            parsed = json.loads(schema)
        except json.JSONDecodeError as exc:
            raise ValueError(f"the schema string is not valid JSON: {exc}") from None
        if not isinstance(parsed, (dict, bool)):
            raise ValueError("a JSON Schema must be an object or a boolean")
        return parsed
    model_json_schema = getattr(schema, "model_json_schema", None)
    if callable(model_json_schema):  # pydantic v2 model class or instance
        return model_json_schema()
    try:
        from pydantic import TypeAdapter
    except ImportError as exc:  # pragma: no cover
        raise TypeError(f"cannot turn {schema!r} into a JSON Schema without pydantic") from exc
    try:
        return TypeAdapter(schema).json_schema()
    except Exception as exc:
        raise TypeError(
            f"cannot turn {schema!r} into a JSON Schema: pass a dict, a JSON string, "
            f"a pydantic model, a TypedDict or a dataclass ({exc})"
        ) from None
