"""An OpenAI-compatible HTTP server: ``llama-native serve --model PATH`` (``pip install 'llama-native[server]'``).

``/v1/chat/completions``, ``/v1/completions``, ``/v1/embeddings``,
``/v1/models``, ``/health``, ``/metrics`` and the OpenAPI docs at ``/docs``,
on FastAPI and uvicorn (the stack llama-cpp-python's server uses).  See
:mod:`llama_native.server.settings` for the flags and
:mod:`llama_native.server.app` for the endpoints.

Example::

    >>> from llama_native.server import parse_settings
    >>> parse_settings(["--model", "m.gguf"]).host
    '127.0.0.1'
"""

from __future__ import annotations

import sys
from typing import Any

from .settings import ModelEntry, ServerSettings, parse_settings


def create_app(settings: ServerSettings) -> Any:
    """The FastAPI application (see :mod:`llama_native.server.app`)."""
    from .app import create_app as _create

    return _create(settings)


def main(argv: list[str] | None = None) -> int:
    """Run the server until interrupted; running requests get ``--shutdown-timeout`` seconds to finish.

    Every model is loaded before the port is bound (unless ``--lazy``): a file that
    cannot be served (missing, not a GGUF, truncated, corrupt) ends the process with
    status 1 and a message naming the model, the file and the reason.
    """
    try:
        import uvicorn
    except ImportError:
        raise SystemExit("the server needs FastAPI and uvicorn: pip install 'llama-native[server]'") from None
    from .registry import StartupError

    settings = parse_settings(argv)
    app = create_app(settings)
    if not settings.lazy:
        aliases = ", ".join(f"{m.alias!r} ({m.path})" for m in settings.models)
        print(f"llama-native serve: loading {aliases}", file=sys.stderr, flush=True)
        try:
            app.state.registry.load_all()
        except StartupError as exc:
            raise SystemExit(f"llama-native serve: cannot serve; not started:\n{exc}") from None
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        timeout_graceful_shutdown=int(settings.shutdown_timeout),
        log_level="info",
    )
    return 0


__all__ = ["ModelEntry", "ServerSettings", "create_app", "main", "parse_settings"]
