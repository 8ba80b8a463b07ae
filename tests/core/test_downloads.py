"""Getting a model: LlamaIndex's ``model_url`` and ``Llama.from_pretrained``, all on loopback.

A test HTTP server serves the synthetic model (with ``Range``), a body cut
short, a 404, and the few Hugging Face Hub endpoints ``huggingface_hub``
uses (the file tree and ``resolve``), so nothing here reaches the internet.
The Hub client runs in a subprocess with its own ``HF_ENDPOINT``/``HF_HOME``
(``huggingface_hub`` reads them when imported).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from llama_native.download import DownloadError, download_model
from llama_native.testing import synthetic_model_path

COMMIT = "0123456789abcdef0123456789abcdef01234567"


class _Server:
    """Files by URL path; records each request's path and Range header."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files
        self.requests: list[tuple[str, str, str | None]] = []
        self.truncate: set[str] = set()
        self.repos: dict[str, dict[str, bytes]] = {}  # "org/name" -> {path: bytes}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_HEAD(self) -> None:
                self._serve(body=False)

            def do_GET(self) -> None:
                self._serve(body=True)

            def _send(self, code: int, data: bytes, headers: dict[str, str], body: bool, cut: bool = False) -> None:
                self.send_response(code)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if body:
                    self.wfile.write(data[: len(data) // 2] if cut else data)
                    if cut:
                        self.wfile.flush()
                        self.close_connection = True

            def _serve(self, body: bool) -> None:
                path = self.path.split("?")[0]
                server.requests.append((self.command, path, self.headers.get("Range")))
                hub = self._hub(path, body)
                if hub:
                    return
                if path not in server.files:
                    self._send(404, b"not found", {}, body)
                    return
                data = server.files[path]
                rng = self.headers.get("Range")
                if rng:
                    start = int(rng.split("=")[1].split("-")[0])
                    if start >= len(data):
                        self._send(416, b"", {}, body)
                        return
                    self._send(206, data[start:], {"Content-Range": f"bytes {start}-{len(data) - 1}/{len(data)}"}, body)
                    return
                self._send(200, data, {}, body, cut=path in server.truncate)

            def _hub(self, path: str, body: bool) -> bool:
                parts = path.strip("/").split("/")
                if parts[:2] == ["api", "models"] and "tree" in parts:
                    repo = "/".join(parts[2:4])
                    if repo not in server.repos:
                        self._send(404, b"{}", {"X-Error-Code": "RepoNotFound"}, body)
                        return True
                    tree = [
                        {"type": "file", "path": p, "size": len(d), "oid": hashlib.sha1(d).hexdigest()}
                        for p, d in server.repos[repo].items()
                    ]
                    self._send(200, json.dumps(tree).encode(), {"Content-Type": "application/json"}, body)
                    return True
                if len(parts) > 4 and parts[2] == "resolve":
                    repo, file = "/".join(parts[:2]), "/".join(parts[4:])
                    if repo not in server.repos:
                        self._send(404, b"", {"X-Error-Code": "RepoNotFound"}, body)
                        return True
                    if file not in server.repos[repo]:
                        self._send(404, b"", {"X-Error-Code": "EntryNotFound"}, body)
                        return True
                    data = server.repos[repo][file]
                    headers = {"X-Repo-Commit": COMMIT, "ETag": f'"{hashlib.sha256(data).hexdigest()}"'}
                    self._send(200, data, headers, body, cut=file in server.truncate)
                    return True
                return False

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def model_bytes() -> bytes:
    return synthetic_model_path().read_bytes()


@pytest.fixture()
def server(model_bytes: bytes) -> Iterator[_Server]:
    s = _Server({"/m/model.gguf": model_bytes, "/m/cut.gguf": model_bytes})
    s.truncate.add("/m/cut.gguf")
    yield s
    s.close()


# -------------------------------------------------------------- model_url
def test_download_resumes_checks_and_reuses(server: _Server, model_bytes: bytes, tmp_path: Path) -> None:
    digest = hashlib.sha256(model_bytes).hexdigest()
    part = tmp_path / "model.gguf.part"
    part.write_bytes(model_bytes[:1000])  # an earlier download that broke off
    path = download_model(server.url + "/m/model.gguf", tmp_path, sha256=digest, progress=False)
    assert path.read_bytes() == model_bytes and not part.exists()
    assert server.requests[-1] == ("GET", "/m/model.gguf", "bytes=1000-")  # resumed, not restarted
    n = len(server.requests)
    assert download_model(server.url + "/m/model.gguf", tmp_path, sha256=digest, progress=False) == path
    assert len(server.requests) == n  # cached: no request


def test_download_errors_name_the_problem(server: _Server, model_bytes: bytes, tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match="HTTP 404"):
        download_model(server.url + "/m/missing.gguf", tmp_path, progress=False)
    with pytest.raises(DownloadError, match="call again to resume"):
        download_model(server.url + "/m/cut.gguf", tmp_path, progress=False)
    assert not (tmp_path / "cut.gguf").exists() and (tmp_path / "cut.gguf.part").exists()
    server.truncate.clear()
    assert download_model(server.url + "/m/cut.gguf", tmp_path, progress=False).read_bytes() == model_bytes
    with pytest.raises(DownloadError, match="SHA-256"):
        download_model(server.url + "/m/model.gguf", tmp_path / "other", sha256="0" * 64, progress=False)
    assert not list((tmp_path / "other").iterdir())
    with pytest.raises(ValueError, match="http"):
        download_model("ftp://host/model.gguf", tmp_path)


def test_llama_index_model_url_downloads_on_first_use(
    server: _Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from llama_index.llms.llama_native import LlamaCPP

    monkeypatch.setenv("LLAMA_NATIVE_CACHE", str(tmp_path))
    llm = LlamaCPP(model_url=server.url + "/m/model.gguf", max_new_tokens=4, context_window=256)
    assert llm.model_path is None and not server.requests  # nothing fetched by the constructor
    llm.complete("Hello", formatted=True)
    assert llm.model_path == str(tmp_path / "models" / "model.gguf")
    again = LlamaCPP(model_url=server.url + "/m/model.gguf", max_new_tokens=4, context_window=256)
    n = len(server.requests)
    again.complete("Hello", formatted=True)
    assert len(server.requests) == n
    bad = LlamaCPP(model_url=server.url + "/m/model2.gguf", model_sha256="0" * 64)
    with pytest.raises(DownloadError, match="HTTP 404"):
        _ = bad.client


# -------------------------------------------------------- from_pretrained
HUB_SCRIPT = r"""
import json, sys
from llama_native import Llama
args = json.loads(sys.argv[1])
try:
    llm = Llama.from_pretrained(args["repo"], args["file"], n_ctx=64, **args.get("extra", {}))
    print(json.dumps({"ok": llm.model_path, "tokens": len(llm.tokenize(b"hello"))}))
except Exception as exc:
    print(json.dumps({"error": type(exc).__name__, "message": str(exc)}))
"""


def _hub_call(server_url: str, home: Path, offline: bool = False, **args: Any) -> dict[str, Any]:
    env = dict(os.environ, HF_ENDPOINT=server_url, HF_HOME=str(home), HF_HUB_DISABLE_PROGRESS_BARS="1",
               HF_HUB_DISABLE_TELEMETRY="1", HF_HUB_ETAG_TIMEOUT="5", HF_HUB_DOWNLOAD_TIMEOUT="5")
    env.pop("HF_TOKEN", None)
    if offline:
        env["HF_HUB_OFFLINE"] = "1"
    out = subprocess.run(  # outside the source tree, so the installed package is imported
        [sys.executable, "-c", HUB_SCRIPT, json.dumps(args)],
        capture_output=True, text=True, env=env, timeout=300, cwd=str(home.parent),
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_from_pretrained_through_a_loopback_hub_then_offline(server: _Server, model_bytes: bytes, tmp_path: Path) -> None:
    server.repos["org/tiny-GGUF"] = {
        "tiny.Q4_K_M.gguf": model_bytes,
        "tiny.Q8_0.gguf": model_bytes,
        "README.md": b"# tiny",
    }
    home = tmp_path / "hf"
    got = _hub_call(server.url, home, repo="org/tiny-GGUF", file="*Q8_0.gguf")
    assert got.get("ok", "").endswith("tiny.Q8_0.gguf") and got["tokens"] > 0, got
    assert Path(got["ok"]).read_bytes() == model_bytes

    local = _hub_call(server.url, home, repo="org/tiny-GGUF", file="*Q4_K_M.gguf", extra={"local_dir": str(tmp_path / "here")})
    assert local["ok"] == str(tmp_path / "here" / "tiny.Q4_K_M.gguf")

    several = _hub_call(server.url, home, repo="org/tiny-GGUF", file="*.gguf")
    assert several["error"] == "ValueError" and "several" in several["message"]
    none = _hub_call(server.url, home, repo="org/tiny-GGUF", file="*Q2_K.gguf")
    assert none["error"] == "ValueError" and "no file" in none["message"] and "tiny.Q8_0.gguf" in none["message"]
    unknown = _hub_call(server.url, home, repo="org/nothing-here", file="*.gguf")
    assert unknown["error"] == "ValueError" and "no repository" in unknown["message"]

    server.repos["org/cut-GGUF"] = {"cut.gguf": model_bytes}
    server.truncate.add("cut.gguf")
    cut = _hub_call(server.url, home, repo="org/cut-GGUF", file="cut.gguf")
    assert "error" in cut, cut

    server.close()  # the cached model loads with no server at all
    offline = _hub_call(server.url, home, offline=True, repo="org/tiny-GGUF", file="*Q8_0.gguf")
    assert offline.get("ok") == got["ok"], offline
    missing = _hub_call(server.url, home, offline=True, repo="org/other-GGUF", file="*.gguf")
    assert missing["error"] == "ValueError" and "HF_HUB_OFFLINE" in missing["message"]
