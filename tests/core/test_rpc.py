"""``Llama(rpc_servers=...)``: layers on llama.cpp's rpc-server, started on loopback by these tests.

The server is ``ggml-rpc-server`` built from the pinned source (once, in the
tools cache).  Greedy output with every layer on one or two RPC servers must
equal the in-process output: the servers run the same ggml CPU kernels on the
same weights.  Bad servers must fail at load time with an error naming them.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator

import pytest
from helpers import ENV_MODEL, model_path_for

from llama_native import Llama
from llama_native.llama_cpp_tools import RpcServer
from llama_native.testing import smollm2_model_path

KINDS = ["env"] if ENV_MODEL else ["synthetic", "smollm2"]
PROMPT = "The capital of France is"


def _path(kind: str) -> str:
    return str(smollm2_model_path() if kind == "smollm2" else model_path_for(kind))


@pytest.fixture(scope="module")
def rpc_servers() -> Iterator[list[RpcServer]]:
    with RpcServer() as first, RpcServer() as second:
        yield [first, second]


def _greedy(llm: Llama) -> tuple[str, int]:
    out = llm.create_completion(PROMPT, max_tokens=24, temperature=0)
    return out["choices"][0]["text"], out["usage"]["completion_tokens"]


@pytest.mark.parametrize("kind", KINDS)
def test_greedy_output_with_layers_on_one_rpc_server_equals_local(kind, rpc_servers, caplog) -> None:
    with Llama(_path(kind), n_ctx=256) as local:
        expected = _greedy(local)
    with caplog.at_level(logging.INFO, logger="llama_native"):
        with Llama(_path(kind), n_ctx=256, rpc_servers=rpc_servers[0].endpoint, n_gpu_layers=-1, verbose=True) as llm:
            assert _greedy(llm) == expected
            assert llm.model_params.rpc_servers == rpc_servers[0].endpoint
    log = "\n".join(r.getMessage() for r in caplog.records)
    assert f"RPC0[{rpc_servers[0].endpoint}] model buffer size" in log or "model buffer size" in log
    assert "offloaded" in log and f"[{rpc_servers[0].endpoint}]" in log  # the layers live on the server


@pytest.mark.parametrize("kind", KINDS)
def test_layers_split_over_two_rpc_servers_give_the_local_output(kind, rpc_servers, caplog) -> None:
    with Llama(_path(kind), n_ctx=256) as local:
        expected = _greedy(local)
    endpoints = ",".join(s.endpoint for s in rpc_servers)
    with caplog.at_level(logging.INFO, logger="llama_native"):
        with Llama(_path(kind), n_ctx=256, rpc_servers=endpoints, n_gpu_layers=-1, verbose=True) as llm:
            assert _greedy(llm) == expected
    log = "\n".join(r.getMessage() for r in caplog.records)
    for server in rpc_servers:  # each holds part of the model
        assert f"[{server.endpoint}] model buffer size" in log


def test_some_layers_on_the_server_and_the_rest_local(rpc_servers) -> None:
    path = _path(KINDS[-1])
    with Llama(path, n_ctx=256) as local:
        expected = _greedy(local)
    with Llama(path, n_ctx=256, rpc_servers=[rpc_servers[1].endpoint], n_gpu_layers=1) as llm:
        assert _greedy(llm) == expected


def test_a_dead_rpc_server_fails_at_load_time_naming_it() -> None:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    start = time.monotonic()
    with pytest.raises(ConnectionError, match=f"RPC server 127.0.0.1:{port} is unreachable"):
        Llama(_path("synthetic"), rpc_servers=f"127.0.0.1:{port}", n_gpu_layers=-1)
    assert time.monotonic() - start < 5


def _fake_server(reply: bytes | None) -> tuple[socket.socket, str]:
    """A loopback server that answers every connection with ``reply`` (None: says nothing)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            conn.recv(1024)
            if reply is not None:
                conn.sendall(reply)
                conn.close()
            else:
                threading.Timer(10, conn.close).start()

    threading.Thread(target=serve, daemon=True).start()
    return server, f"127.0.0.1:{server.getsockname()[1]}"


def test_a_server_that_is_not_an_rpc_server_fails_at_load_time() -> None:
    server, endpoint = _fake_server(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n" + bytes(40))
    with server, pytest.raises(ConnectionError, match=f"RPC server {endpoint} answered something other"):
        Llama(_path("synthetic"), rpc_servers=endpoint, n_gpu_layers=-1)


def test_a_server_that_never_answers_fails_within_the_timeout() -> None:
    server, endpoint = _fake_server(None)
    start = time.monotonic()
    with server, pytest.raises(ConnectionError, match=f"RPC server {endpoint} did not answer"):
        Llama(_path("synthetic"), rpc_servers=endpoint, n_gpu_layers=-1)
    assert time.monotonic() - start < 8


def test_a_server_of_another_protocol_version_fails_at_load_time() -> None:
    import struct

    server, endpoint = _fake_server(struct.pack("<Q", 28) + bytes([6, 1, 0, 0]) + bytes(24))
    with server, pytest.raises(ConnectionError, match="speaks protocol 6.1.0"):
        Llama(_path("synthetic"), rpc_servers=endpoint, n_gpu_layers=-1)


@pytest.mark.parametrize(
    "servers, message",
    [("localhost", "is not 'host:port'"), ("h:0", "is not 'host:port'"), (",", "names no server"), ([], None)],
)
def test_malformed_rpc_servers_are_refused(servers, message) -> None:
    if message is None:  # an empty list: no servers, a plain local load
        with Llama(_path("synthetic"), rpc_servers=servers, n_ctx=64) as llm:
            assert llm.model_params.rpc_servers is None
        return
    with pytest.raises(ValueError, match=message):
        Llama(_path("synthetic"), rpc_servers=servers, n_gpu_layers=-1)


def test_rpc_servers_without_layers_to_offload_is_refused(rpc_servers) -> None:
    with pytest.raises(ValueError, match="rpc_servers needs n_gpu_layers"):
        Llama(_path("synthetic"), rpc_servers=rpc_servers[0].endpoint)
