"""``rpc_servers``: llama.cpp's ``rpc-server`` processes that hold some of a model's layers.

ggml's RPC client aborts the whole process when it cannot reach a server or
the server speaks another protocol version, so every endpoint is checked here
first, with a timeout, by the same HELLO exchange the client opens with; a
dead, wrong or mismatched server becomes a ``ConnectionError`` naming it at
load time.  The wire format (``ggml/src/ggml-rpc``): a command byte, a
little-endian u64 size and the payload; the reply is a u64 size and the
payload (major, minor, patch, padding, 24 bytes of transport capabilities).

Example::

    >>> parse_rpc_servers("10.0.0.2:50052, 10.0.0.3:50052")
    ['10.0.0.2:50052', '10.0.0.3:50052']
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Sequence

from .. import _native

_RPC_CMD_HELLO = 14
_CONN_CAPS_SIZE = 24


def parse_rpc_servers(servers: str | Sequence[str]) -> list[str]:
    """``"host:port,host:port"`` (or a list) as endpoints; ``ValueError`` naming a malformed one."""
    items = servers.split(",") if isinstance(servers, str) else list(servers)
    endpoints = [str(item).strip() for item in items if str(item).strip()]
    if not endpoints:
        raise ValueError(f"rpc_servers names no server: {servers!r} (expected 'host:port,host:port')")
    for endpoint in endpoints:
        host, sep, port = endpoint.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"rpc_servers: {endpoint!r} is not 'host:port'")
    return endpoints


def probe_rpc_server(endpoint: str, timeout: float = 5.0) -> tuple[int, int, int]:
    """Open ``endpoint``, exchange HELLO and return the server's protocol version.

    Raises ``ConnectionError`` naming the server when it is unreachable, does
    not answer within ``timeout`` seconds, answers something else than an
    rpc-server, or speaks an incompatible protocol version.
    """
    host, _, port = endpoint.rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=timeout) as sock:
            sock.sendall(struct.pack("<BQ", _RPC_CMD_HELLO, _CONN_CAPS_SIZE) + bytes(_CONN_CAPS_SIZE))
            reply = _recv_exactly(sock, 8 + 4 + _CONN_CAPS_SIZE)
    except TimeoutError:
        raise ConnectionError(f"RPC server {endpoint} did not answer within {timeout} s") from None
    except OSError as exc:
        raise ConnectionError(f"RPC server {endpoint} is unreachable: {exc.strerror or exc}") from None
    (size,) = struct.unpack_from("<Q", reply)
    if size != 4 + _CONN_CAPS_SIZE:
        raise ConnectionError(f"RPC server {endpoint} answered something other than llama.cpp's rpc-server")
    major, minor, patch = reply[8], reply[9], reply[10]
    ours_major, ours_minor = _native.rpc_protocol()
    if major != ours_major or minor > ours_minor:  # what ggml's client would abort on
        raise ConnectionError(
            f"RPC server {endpoint} speaks protocol {major}.{minor}.{patch}; this build speaks "
            f"{ours_major}.{ours_minor} (run an rpc-server built from the same llama.cpp)"
        )
    return major, minor, patch


def _recv_exactly(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionResetError("the connection closed during the handshake")
        data += chunk
    return data
