"""``structured_predict``'s request and reply: a JSON-schema response format, and the object read back.

A cut reply raises :class:`llama_native.OutputTruncatedError` instead of
becoming a half-filled object (see ``_truncation``); while streaming, the
partial objects come as the JSON grows.

Example::

    >>> from pydantic import BaseModel
    >>> class Answer(BaseModel):
    ...     ok: bool
    >>> response_format(Answer)["json_schema"]["name"]
    'Answer'
"""

from __future__ import annotations

from typing import Any

from llama_index.core.base.llms.types import ChatResponse
from llama_index.core.program.utils import create_flexible_model
from pydantic import BaseModel
from pydantic_core import from_json

from ._truncation import Limit, raise_if_cut


def response_format(output_cls: type[BaseModel]) -> dict[str, Any]:
    """The chat API's ``response_format`` that constrains a reply to ``output_cls``'s JSON schema."""
    schema = output_cls.model_json_schema()
    return {"type": "json_schema", "json_schema": {"name": output_cls.__name__, "schema": schema}}


def parse_structured(output_cls: type[BaseModel], response: ChatResponse, limit: Limit) -> BaseModel:
    """The validated ``output_cls`` of a finished reply; ``OutputTruncatedError`` (a ``ValueError``) for a cut one."""
    raise_if_cut(response, f"the {output_cls.__name__}", limit)
    return output_cls.model_validate_json(response.message.content or "")


def partial_object(output_cls: type[BaseModel], response: ChatResponse, limit: Limit) -> Any:
    """The object so far: an ``output_cls`` when it validates, else a flexible copy with the fields seen.

    Partial JSON is read by pydantic-core's ``from_json(..., allow_partial=True)``.
    """
    if response.additional_kwargs.get("finish_reason"):
        return parse_structured(output_cls, response, limit)  # the end: whole and valid, or an error
    text = response.message.content or ""
    if not text:
        return None
    try:
        data = from_json(text, allow_partial=True)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    try:
        return output_cls.model_validate(data)
    except ValueError:
        return create_flexible_model(output_cls).model_validate(data)
