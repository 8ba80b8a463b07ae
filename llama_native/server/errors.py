"""OpenAI's error object (``{"error": {"message", "type", "param", "code"}}``) and its responses.

Example::

    >>> from llama_native.server.errors import ApiError
    >>> ApiError(400, "bad", "invalid_request_error", param="n").body()["error"]["param"]
    'n'
"""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse


class ApiError(Exception):
    """An error for the client: HTTP ``status`` and OpenAI's ``type``/``code``/``param``."""

    def __init__(
        self, status: int, message: str, type: str, param: str | None = None, code: str | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code

    def body(self) -> dict[str, Any]:
        """The JSON body."""
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}


def error_response(error: ApiError, headers: dict[str, str] | None = None) -> JSONResponse:
    """``error`` as a response."""
    return JSONResponse(error.body(), status_code=error.status, headers=headers)
