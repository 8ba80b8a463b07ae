"""Starting and stopping real ``llama-native serve`` processes on loopback (the server's and the remote backend's tests)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from llama_native.llama_cpp_tools import free_port


@dataclass
class Served:
    """A running server: its base URL and process."""

    url: str
    process: subprocess.Popen
    api_key: str | None = None

    @property
    def v1(self) -> str:
        return self.url + "/v1"


def start_server(tmp: Path, *flags: str, env: dict[str, str] | None = None, api_key: str | None = None) -> Served:
    """Start ``python -m llama_native.server`` with ``flags``; waits until /health answers."""
    port = free_port()
    log = open(tmp / f"server-{port}.log", "w")
    cmd = [sys.executable, "-m", "llama_native.server", "--port", str(port), *flags]
    if api_key:
        cmd += ["--api-key", api_key]
    process = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=tmp, env={**os.environ, **(env or {})})
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited: {(tmp / f'server-{port}.log').read_text()[-2000:]}")
        try:
            if httpx.get(url + "/health", timeout=1).status_code == 200:
                return Served(url, process, api_key)
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("the server did not start within 60 s")


def stop_server(served: Served) -> None:
    served.process.terminate()
    try:
        served.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        served.process.kill()
