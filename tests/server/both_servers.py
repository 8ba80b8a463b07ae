"""llama.cpp's llama-server and ``llama-native serve`` started with the same command line (for parity tests)."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from llama_native.llama_cpp_tools import build_llama_tool, free_port, stop_process

OURS = [sys.executable, "-m", "llama_native.server"]


def llama_server() -> list[str]:
    """llama-server built from the pinned source (built on first use)."""
    return [str(build_llama_tool("llama-server"))]


def start(program: list[str], args: list[str], tmp: Path) -> tuple[str, subprocess.Popen]:
    """Start ``program args --port P`` and wait for /health (200); its base URL and process."""
    port = free_port()
    log = tmp / f"{Path(program[-1]).name}-{port}.log"
    with open(log, "w") as out:
        process = subprocess.Popen([*program, *args, "--port", str(port)], stdout=out, stderr=subprocess.STDOUT, cwd=tmp)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{program[-1]} {args} exited {process.returncode}: {log.read_text()[-1500:]}")
        try:
            if httpx.get(url + "/health", timeout=1).status_code == 200:
                return url, process
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    stop_process(process)
    raise AssertionError(f"{program[-1]} did not start: {log.read_text()[-1500:]}")


@contextmanager
def both(llama_server_binary: list[str], args: list[str], tmp: Path) -> Iterator[tuple[str, str]]:
    """llama-server and ours started with ``args``: their URLs (both stopped after)."""
    theirs = ours = None
    try:
        theirs = start(llama_server_binary, args, tmp)
        ours = start(OURS, args, tmp)
        yield theirs[0], ours[0]
    finally:
        for started in (ours, theirs):
            if started is not None:
                stop_process(started[1])


