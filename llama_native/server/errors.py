"""OpenAI's error object (``{"error": {"message", "type", "param", "code"}}``) and its responses.

:func:`install_error_handlers` makes every error the application answers
this object: its own :class:`ApiError`, request validation (400), FastAPI's
and Starlette's HTTP errors (unknown route 404, wrong method 405, an
unparsable body 400), a full queue (503) and any other exception (500, in
place of Starlette's plain-text ``Internal Server Error``).

Example::

    >>> from llama_native.server.errors import ApiError
    >>> ApiError(400, "bad", "invalid_request_error", param="n").body()["error"]["param"]
    'n'
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from .admission import ServerBusy


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


def _validation_error(exc: RequestValidationError) -> ApiError:
    """400 naming each problem (``where: what``); a body that is not JSON says so."""
    errors = list(exc.errors())
    problems = []
    for err in errors:
        ctx = err.get("ctx") or {}
        if err.get("type") == "json_invalid":
            return ApiError(400, f"the body is not valid JSON: {ctx.get('error', err.get('msg'))} "
                            f"(at character {err.get('loc', ('', '?'))[-1]})", "invalid_request_error")  # fmt: skip
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
        what = str(ctx["error"]) if err.get("type") == "value_error" and "error" in ctx else err.get("msg")
        problems.append(f"{where or 'body'}: {what}")
    param = ".".join(str(p) for p in errors[0].get("loc", ())[1:]) if errors else None
    return ApiError(400, "; ".join(problems), "invalid_request_error", param=param or None)


def _http_error(request: Request, exc: HTTPException) -> ApiError:
    """Starlette's and FastAPI's HTTP errors (404 no such route, 405, 400 unparsable body) as OpenAI's object."""
    detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    if exc.status_code == 400 and exc.__cause__ is not None:  # FastAPI's "error parsing the body": say which
        detail = f"{detail}: {type(exc.__cause__).__name__}: {exc.__cause__}"
    if exc.status_code in (404, 405):
        detail = f"{detail}: {request.method} {request.url.path}"
    kind = "server_error" if exc.status_code >= 500 else "invalid_request_error"
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code)
    return ApiError(exc.status_code, detail, kind, code=code)


def install_error_handlers(app: FastAPI) -> None:
    """Answer every error ``app`` raises with OpenAI's error object (see the module docstring)."""

    @app.exception_handler(ApiError)
    async def _api(request: Request, exc: ApiError) -> Response:
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        return error_response(_validation_error(exc))

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> Response:
        return error_response(_http_error(request, exc), dict(exc.headers or {}))

    @app.exception_handler(ServerBusy)
    async def _busy(request: Request, exc: ServerBusy) -> Response:
        return error_response(ApiError(503, str(exc), "server_error", code="server_busy"), {"Retry-After": "1"})

    # Starlette runs the handler of Exception in its outermost ServerErrorMiddleware (then re-raises,
    # so the traceback is still logged): no plain-text "Internal Server Error" reaches a client
    @app.exception_handler(Exception)
    async def _unhandled(request: Request, exc: Exception) -> Response:
        return error_response(ApiError(500, f"internal error: {type(exc).__name__}: {exc}", "server_error"))
