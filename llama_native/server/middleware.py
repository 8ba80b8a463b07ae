"""ASGI middleware: the API key, CORS's options and the request-body limit.

Plain ASGI (not Starlette's ``BaseHTTPMiddleware``), so a client's
disconnect still reaches the endpoint and cancels its generation.

Example::

    >>> from llama_native.server.middleware import bearer_token
    >>> bearer_token([(b"authorization", b"Bearer abc")]), bearer_token([(b"x-api-key", b"xyz")])
    (b'abc', b'xyz')
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Iterable
from typing import Any

Scope = dict[str, Any]


def bearer_token(headers: Iterable[tuple[bytes, bytes]]) -> bytes:
    """The key a request carries: ``Authorization: Bearer KEY`` (or a bare KEY), else ``X-Api-Key``, as llama-server."""
    other = b""
    for name, value in headers:
        lowered = name.lower()
        if lowered == b"authorization" and value.strip():
            value = value.strip()
            return value[7:].strip() if value[:7].lower() == b"bearer " else value
        if lowered == b"x-api-key":
            other = value.strip()
    return other


async def _send_error(send: Any, status: int, message: str, type: str, code: str | None = None) -> None:
    body = json.dumps({"error": {"message": message, "type": type, "param": None, "code": code}}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if status == 401:
        headers.append((b"www-authenticate", b"Bearer"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class ApiKeyMiddleware:
    """Every path but ``open_paths`` needs one of ``api_keys`` (compared in constant time); else 401.

    The key is read from ``Authorization: Bearer <key>`` or ``X-Api-Key: <key>``;
    a missing or wrong one gets OpenAI's ``authentication_error`` (code ``invalid_api_key``).
    """

    def __init__(self, app: Any, api_keys: list[str], open_paths: set[str]) -> None:
        self.app = app
        self.keys = [k.encode() for k in api_keys]
        self.open_paths = open_paths

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        """Refuse (401) or pass the request on."""
        if scope["type"] != "http" or scope["path"] in self.open_paths or scope["method"] == "OPTIONS":
            await self.app(scope, receive, send)
            return
        given = bearer_token(scope.get("headers", []))
        valid = False
        for key in self.keys:  # every key compared, so the time does not tell which one nearly matched
            valid |= hmac.compare_digest(given, key)
        if not valid:
            message = "invalid API key" if given else "an API key is required: Authorization: Bearer <key> or X-Api-Key"
            await _send_error(send, 401, message, "authentication_error", "invalid_api_key")
            return
        await self.app(scope, receive, send)


#: the origins llama-server's ``--cors-origins localhost`` lets through
LOCALHOST_ORIGINS = r"https?://(localhost|127\.0\.0\.1|\[::1\])(:[0-9]+)?"


def cors_options(origins: list[str], methods: list[str], headers: list[str]) -> dict[str, Any]:
    """Starlette ``CORSMiddleware`` arguments for llama-server's ``--cors-origins`` forms.

    ``*`` (any origin), ``localhost`` (any origin on this machine) and exact
    origins, comma-separated.

    Example::

        >>> cors_options(["localhost", "https://app.example"], ["*"], ["*"])["allow_origin_regex"] is not None
        True
    """
    exact = [o for o in origins if o != "localhost"]
    return {
        "allow_origins": exact,
        "allow_origin_regex": LOCALHOST_ORIGINS if "localhost" in origins else None,
        "allow_methods": methods,
        "allow_headers": headers,
    }


class BodyLimitMiddleware:
    """Bodies over ``max_bytes`` get 413 before any of them reaches the endpoint."""

    def __init__(self, app: Any, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        """Refuse (413) or pass the request on with its body replayed."""
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name.lower() == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
                await self._too_large(send)
                return
        messages, size = [], 0
        while True:  # read the (bounded) body, then replay it
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > self.max_bytes:
                await self._too_large(send)
                return
            if not message.get("more_body", False):
                break

        async def replay() -> Any:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)

    async def _too_large(self, send: Any) -> None:
        await _send_error(send, 413, f"the request body is larger than {self.max_bytes} bytes (max_body_bytes)",
                          "invalid_request_error", "request_too_large")  # fmt: skip
