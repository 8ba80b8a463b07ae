"""The server's log: ``--log-level``, ``--log-format text|json``, and one access-log line per request.

Every request ends with one line on the logger
``llama_native.server.access``: method, route, status, model, prompt and
completion tokens, cached prompt tokens, queue wait, time to first token,
total time and generation tokens per second (the reply's ``timings``).
``/health`` and ``/metrics`` polls are logged at DEBUG, everything else at
INFO.  With ``--log-format json`` each line of the ``llama_native`` loggers
(llama.cpp's own included, at ``--log-level debug``) is one JSON object with
these fields as keys.

Example::

    >>> import logging
    >>> record = logging.makeLogRecord({"msg": "POST /v1/completions 200", "levelname": "INFO",
    ...                                 "name": "llama_native.server.access", "access": {"status": 200}})
    >>> JsonFormatter().format(record)[:60]
    '{"level": "INFO", "logger": "llama_native.server.access", "m'
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

access_logger = logging.getLogger("llama_native.server.access")
server_logger = logging.getLogger("llama_native.server")

LOG_LEVELS = ("debug", "info", "warning", "error", "critical")
LOG_FORMATS = ("text", "json")
_QUIET_PATHS = ("/health", "/metrics")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and the record's ``access`` fields."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON."""
        out: dict[str, Any] = {
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}",
        }
        fields = getattr(record, "access", None)
        if isinstance(fields, dict):
            out.update(fields)
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str)


def configure_logging(level: str = "info", fmt: str = "text") -> logging.Handler:
    """Send the ``llama_native`` loggers to stderr at ``level`` in ``fmt`` (``ValueError`` naming a bad value).

    At ``debug`` llama.cpp's own lines are forwarded too (logger ``llama_native.llama_cpp``).
    Returns the handler, so that a caller (a test) can remove it.
    """
    if level not in LOG_LEVELS:
        raise ValueError(f"--log-level must be one of {', '.join(LOG_LEVELS)}, got {level!r}")
    if fmt not in LOG_FORMATS:
        raise ValueError(f"--log-format must be one of {', '.join(LOG_FORMATS)}, got {fmt!r}")
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("llama_native")
    root.addHandler(handler)
    root.setLevel(getattr(logging, level.upper()))
    if level == "debug":
        from .. import _logging

        _logging.acquire_verbose(debug=True)
    return handler


def _round(value: Any) -> Any:
    return round(value, 2) if isinstance(value, float) else value


def access_fields(info: dict[str, Any], method: str, path: str, status: int, total_ms: float) -> dict[str, Any]:
    """The access line's fields from what the route left in ``info`` (model, usage, timings, first token)."""
    usage = info.get("usage") or {}
    timings = info.get("timings") or {}
    fields: dict[str, Any] = {"method": method, "route": path, "status": status, "model": info.get("model")}
    if usage:
        fields["prompt_tokens"] = usage.get("prompt_tokens")
        fields["completion_tokens"] = usage.get("completion_tokens")
        fields["cached_tokens"] = (usage.get("prompt_tokens_details") or {}).get("cached_tokens")
    if timings:
        fields["queue_ms"] = timings.get("queue_ms")
        fields["tokens_per_second"] = timings.get("predicted_per_second")
    ttft = info.get("ttft_ms", timings.get("ttft_ms") if timings else None)
    if ttft is not None:
        fields["ttft_ms"] = ttft
    fields["total_ms"] = total_ms
    return {k: _round(v) for k, v in fields.items() if v is not None}


def access_line(fields: dict[str, Any]) -> str:
    """The text form: ``POST /v1/completions 200 model=m prompt_tokens=5 ... total_ms=12.5``."""
    head = f"{fields.get('method', '-')} {fields.get('route', '-')} {fields.get('status', '-')}"
    rest = " ".join(f"{k}={v}" for k, v in fields.items() if k not in ("method", "route", "status"))
    return f"{head} {rest}".rstrip()


def note(scope: Scope, **fields: Any) -> None:
    """Tell the access log about this request (``model``, ``usage``, ``timings``, ``ttft_ms``)."""
    info = scope.get("state", {}).get("access")
    if isinstance(info, dict):
        info.update({k: v for k, v in fields.items() if v is not None})


class AccessLogMiddleware:
    """ASGI middleware: one access-log line when a response (a stream: its last byte) has been sent.

    A route tells it more through ``request.state.access`` (a dict: ``model``,
    ``usage``, ``timings``, ``ttft_ms``); the status comes from the response.
    """

    def __init__(self, app: App) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve the request, then log its line (also when it failed or the client left)."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.monotonic()
        info: dict[str, Any] = {}
        scope.setdefault("state", {})["access"] = info
        status = 500

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:  # an exception that escaped every handler is logged as the 500 the client gets
            path = str(scope.get("path", ""))
            level = logging.DEBUG if path in _QUIET_PATHS else logging.INFO
            if access_logger.isEnabledFor(level):
                fields = access_fields(
                    info, str(scope.get("method", "")), path, status, (time.monotonic() - started) * 1e3
                )
                access_logger.log(level, "%s", access_line(fields), extra={"access": fields})
