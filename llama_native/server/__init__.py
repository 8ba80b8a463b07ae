"""An OpenAI-compatible HTTP server: ``llama-native serve --model PATH`` (``pip install 'llama-native[server]'``).

``/v1/chat/completions``, ``/v1/completions``, ``/v1/embeddings``,
``/v1/models``, ``/health``, ``/metrics``, llama-server's ``/slots`` and the
OpenAPI docs at ``/docs``, on FastAPI and uvicorn (the stack llama-cpp-python's
server uses).  See :mod:`llama_native.server.settings` for the flags
(:mod:`llama_native.server.llama_server_flags` for llama-server's) and
:mod:`llama_native.server.app` for the endpoints.

Example::

    >>> from llama_native.server import parse_settings
    >>> parse_settings(["--model", "m.gguf"]).host
    '127.0.0.1'
"""

from __future__ import annotations

import socket
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
    from .access_log import configure_logging

    try:
        configure_logging(settings.log_level, settings.log_format)
    except ValueError as exc:
        raise SystemExit(f"llama-native serve: {exc}") from None
    app = create_app(settings)
    if not settings.lazy:
        aliases = ", ".join(f"{m.alias!r} ({m.path})" for m in settings.models)
        print(f"llama-native serve: loading {aliases}", file=sys.stderr, flush=True)
        try:
            app.state.registry.load_all()
        except StartupError as exc:
            raise SystemExit(f"llama-native serve: cannot serve; not started:\n{exc}") from None
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        timeout_graceful_shutdown=int(settings.shutdown_timeout),
        log_level=settings.log_level,
    )
    if len(settings.hosts) == 1:
        uvicorn.Server(config).run()
    else:  # --host 127.0.0.1,::1: one socket per address, all served by one server
        sockets = bind_sockets(settings.hosts, settings.port)
        for host, sock in zip(settings.hosts, sockets):
            print(f"llama-native serve: listening on {host} port {sock.getsockname()[1]}", file=sys.stderr, flush=True)
        uvicorn.Server(config).run(sockets=sockets)
    return 0


def bind_sockets(hosts: list[str], port: int) -> list[socket.socket]:
    """A bound TCP socket for each address (an IPv6 one for IPv6 only, as llama-server binds ``::``).

    A port that cannot be bound on one of the addresses stops the server, naming it.
    """
    sockets: list[socket.socket] = []
    for host in hosts:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            sock.close()
            for other in sockets:
                other.close()
            raise SystemExit(f"llama-native serve: cannot bind {host} port {port}: {exc.strerror or exc}") from None
        sock.set_inheritable(True)
        sockets.append(sock)
    return sockets


__all__ = ["ModelEntry", "ServerSettings", "create_app", "main", "parse_settings"]
