"""llama.cpp's own tools (llama-server, llama-bench, ...) built from the pinned source, for tests and benches.

The peers we measure against and compare outputs with must be llama.cpp
itself, from the very source the extension compiles.  They are built once
into the llama-native cache (``<cache>/tools-<commit>``, with ccache when
available and the flags the extension's build uses, so many objects come
from ccache), without network access (no web UI assets are fetched), and
reused by every later test session and benchmark.

:class:`LlamaServer` starts ``llama-server`` on a free loopback port and
stops it again (a context manager).

Example::

    >>> from llama_native.llama_cpp_tools import tools_build_dir
    >>> tools_build_dir().name.startswith("tools-")
    True
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .llama_cpp_source import PINNED_LLAMA_CPP_COMMIT, cache_dir, llama_cpp_dir

_CONFIGURE_FLAGS = [
    "-DCMAKE_BUILD_TYPE=Release",
    "-DBUILD_SHARED_LIBS=OFF",
    "-DCMAKE_POSITION_INDEPENDENT_CODE=ON",
    "-DLLAMA_BUILD_COMMON=ON",
    "-DLLAMA_BUILD_TOOLS=ON",
    "-DLLAMA_BUILD_SERVER=ON",
    "-DLLAMA_BUILD_TESTS=OFF",
    "-DLLAMA_BUILD_EXAMPLES=OFF",
    "-DLLAMA_BUILD_APP=OFF",
    "-DLLAMA_OPENSSL=OFF",
    "-DLLAMA_ALL_WARNINGS=OFF",  # as the extension's build: the same compile lines, so ccache serves libllama and ggml
    # no network: build the server without its web UI (neither npm nor a prebuilt download)
    "-DLLAMA_BUILD_UI=OFF",
    "-DLLAMA_USE_PREBUILT_UI=OFF",
    "-DGGML_RPC=ON",  # rpc-server, and llama-server's --rpc
]


# On a CPU with AMX, llama.cpp's stock build crashes on quantized models (ggml_backend_amx_mul_mat,
# llama.cpp issue 20824), so there the tools get the AMX switches the extension's ggml gets
# (CMakeLists.txt); elsewhere the flags change nothing and are left out (the compile lines stay stock).
# stock=True (``LLAMA_NATIVE_TOOLS_STOCK=1``) builds llama.cpp as it comes, into its own folder,
# for benchmarks against llama-bench's own defaults (--repack 1 runs the AMX kernels there).
_NO_AMX = "-mno-amx-tile -mno-amx-int8 -mno-amx-bf16"


def _host_has_amx() -> bool:
    from ._cpu_check import host_flags

    return "amx_int8" in (host_flags() or set())


def _stock_requested(stock: bool | None) -> bool:
    return os.environ.get("LLAMA_NATIVE_TOOLS_STOCK") == "1" if stock is None else stock


def tools_build_dir(stock: bool | None = None) -> Path:
    """Where the tools are built: ``$LLAMA_NATIVE_TOOLS_DIR`` or ``<cache>/tools-<pinned commit>[-stock]``."""
    explicit = os.environ.get("LLAMA_NATIVE_TOOLS_DIR")
    if explicit:
        return Path(explicit)
    suffix = "-stock" if _stock_requested(stock) and _host_has_amx() else ""
    return cache_dir() / f"tools-{PINNED_LLAMA_CPP_COMMIT}{suffix}"


def build_llama_tool(target: str, stock: bool | None = None) -> Path:
    """Configure (once) and build one llama.cpp tool target; return the binary's path.

    A second call finds the binary up to date in seconds.  On a host with
    AMX the tools are built without ggml's AMX kernels unless ``stock``.
    """
    src = llama_cpp_dir()
    build = tools_build_dir(stock)
    binary = build / "bin" / target
    configure = ["cmake", "-S", str(src), "-B", str(build), *_CONFIGURE_FLAGS]
    if _host_has_amx() and not _stock_requested(stock):
        configure += [f"-DCMAKE_C_FLAGS={_NO_AMX}", f"-DCMAKE_CXX_FLAGS={_NO_AMX}"]
    if shutil.which("ninja"):
        configure += ["-G", "Ninja"]
    if shutil.which("ccache"):
        configure += ["-DCMAKE_C_COMPILER_LAUNCHER=ccache", "-DCMAKE_CXX_COMPILER_LAUNCHER=ccache"]
    stamp = build / "llama-native-configure.txt"  # reconfigure when the flags change
    if not (build / "CMakeCache.txt").exists() or not stamp.exists() or stamp.read_text() != " ".join(configure):
        _run(configure, f"configuring llama.cpp's tools in {build}")
        stamp.write_text(" ".join(configure))
    _run(["cmake", "--build", str(build), "--target", target, "-j", str(os.cpu_count() or 2)], f"building {target}")
    if not binary.exists():
        raise FileNotFoundError(f"{binary} was not built")
    return binary


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m llama_native.llama_cpp_tools llama-server llama-bench``: build these tools, print their paths."""
    import sys

    targets = list(sys.argv[1:] if argv is None else argv) or ["llama-server"]
    for target in targets:
        start = time.monotonic()
        path = build_llama_tool(target)
        print(f"{path} ({time.monotonic() - start:.0f} s)", flush=True)


def _run(command: list[str], what: str) -> None:
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{what} failed (exit {result.returncode}):\n{result.stdout[-4000:]}")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop_process(process: subprocess.Popen | None) -> None:
    """Terminate ``process`` (if it runs), killing it after 10 s."""
    if process is not None and process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class LlamaServer:
    """``llama-server`` on loopback for one model, started by ``with`` and stopped after.

    ``args`` are further command-line flags (``["-np", "8"]``).  The server
    runs with ``--jinja`` (the GGUF's own chat template), the given threads
    and context, and no web UI.

    Example (not run here: it builds llama-server)::

        with LlamaServer(model_path, threads=2) as server:
            server.post("/completion", {"prompt": "Hello", "n_predict": 8})
    """

    def __init__(
        self,
        model_path: os.PathLike | str,
        *,
        threads: int = 2,
        n_ctx: int = 2048,
        args: Sequence[str] = (),
        timeout: float = 120.0,
    ) -> None:
        self.model_path = os.fspath(model_path)
        self.threads = threads
        self.n_ctx = n_ctx
        self.args = list(args)
        self.timeout = timeout
        self.port = 0
        self.process: subprocess.Popen | None = None
        self.log_path: Path | None = None

    @property
    def base_url(self) -> str:
        """The server's address, ``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LlamaServer:
        binary = build_llama_tool("llama-server")
        self.port = free_port()
        self.log_path = tools_build_dir() / f"llama-server-{self.port}.log"
        command = [
            str(binary),
            "-m",
            self.model_path,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "-t",
            str(self.threads),
            "-tb",
            str(self.threads),
            "-c",
            str(self.n_ctx),
            "--jinja",
            "--no-webui",
            *self.args,
        ]
        log = open(self.log_path, "w")
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"llama-server exited with {self.process.returncode}: {self._log_tail()}")
            try:
                with urllib.request.urlopen(self.base_url + "/health", timeout=2) as response:
                    if response.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            time.sleep(0.2)
        self.__exit__(None, None, None)
        raise TimeoutError(f"llama-server did not become healthy in {self.timeout} s: {self._log_tail()}")

    def __exit__(self, *exc: Any) -> None:
        stop_process(self.process)
        self.process = None

    def _log_tail(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-2000:] if self.log_path else ""
        except OSError:
            return ""

    def post(self, path: str, body: dict[str, Any], timeout: float = 300.0) -> dict[str, Any]:
        """POST JSON to ``path`` and return the JSON reply (an HTTP error raises with the server's message)."""
        request = urllib.request.Request(
            self.base_url + path, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            raise RuntimeError(f"llama-server {path} answered {exc.code}: {exc.read()[:500]!r}") from None


class RpcServer:
    """llama.cpp's ``rpc-server`` (target ``ggml-rpc-server``) on a free loopback port (a context manager).

    It holds the layers that a ``Llama(..., rpc_servers=server.endpoint,
    n_gpu_layers=-1)`` puts on it.  Close such models before the server
    stops: ggml's RPC client aborts the process when its server disappears.

    Example (not run here: it builds the server)::

        with RpcServer(threads=1) as server:
            llm = Llama(model_path, rpc_servers=server.endpoint, n_gpu_layers=-1)
    """

    def __init__(self, *, threads: int = 1, timeout: float = 60.0) -> None:
        self.threads = threads
        self.timeout = timeout
        self.port = 0
        self.process: subprocess.Popen | None = None

    @property
    def endpoint(self) -> str:
        """``127.0.0.1:<port>``, as ``rpc_servers`` takes it."""
        return f"127.0.0.1:{self.port}"

    def __enter__(self) -> RpcServer:
        from .runtime.rpc import probe_rpc_server

        binary = build_llama_tool("ggml-rpc-server")
        self.port = free_port()
        command = [str(binary), "-H", "127.0.0.1", "-p", str(self.port), "-t", str(self.threads)]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + self.timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"rpc-server exited with {self.process.returncode}")
            try:
                probe_rpc_server(self.endpoint, timeout=2)
                return self
            except ConnectionError:
                if time.monotonic() > deadline:
                    self.__exit__(None, None, None)
                    raise TimeoutError(f"rpc-server did not answer in {self.timeout} s") from None
                time.sleep(0.1)

    def __exit__(self, *exc: Any) -> None:
        stop_process(self.process)
        self.process = None


if __name__ == "__main__":
    main()
