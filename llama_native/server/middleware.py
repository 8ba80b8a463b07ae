"""ASGI middleware: the API key and the request-body limit.

Plain ASGI (not Starlette's ``BaseHTTPMiddleware``), so a client's
disconnect still reaches the endpoint and cancels its generation.

Example::

    >>> from llama_native.server.middleware import bearer_token
    >>> bearer_token([(b"authorization", b"Bearer abc")])
    b'abc'
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Iterable
from typing import Any

Scope = dict[str, Any]


def bearer_token(headers: Iterable[tuple[bytes, bytes]]) -> bytes:
    """The token of an ``Authorization: Bearer ...`` header (empty if none)."""
    for name, value in headers:
        if name.lower() == b"authorization" and value[:7].lower() == b"bearer ":
            return value[7:].strip()
    return b""


async def _send_error(send: Any, status: int, message: str, type: str, code: str | None = None) -> None:
    body = json.dumps({"error": {"message": message, "type": type, "param": None, "code": code}}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if status == 401:
        headers.append((b"www-authenticate", b"Bearer"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class ApiKeyMiddleware:
    """Every path but ``open_paths`` needs ``Authorization: Bearer <api_key>`` (compared in constant time)."""

    def __init__(self, app: Any, api_key: str, open_paths: set[str]) -> None:
        self.app = app
        self.key = api_key.encode()
        self.open_paths = open_paths

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        """Refuse (401) or pass the request on."""
        if scope["type"] != "http" or scope["path"] in self.open_paths or scope["method"] == "OPTIONS":
            await self.app(scope, receive, send)
            return
        if not hmac.compare_digest(bearer_token(scope.get("headers", [])), self.key):
            await _send_error(send, 401, "a valid API key is required: Authorization: Bearer <key>",
                              "invalid_request_error", "invalid_api_key")  # fmt: skip
            return
        await self.app(scope, receive, send)


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
