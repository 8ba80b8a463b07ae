"""Misbehaving servers for the remote backend's fault tests: garbage, silence, 503, broken streams.

Each runs a ``http.server`` on a loopback port in a thread; ``url`` is its address.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FakeServer:
    """A loopback HTTP server whose every request gets ``behaviour`` (see the handler); a context manager."""

    def __init__(self, behaviour: str, **options: Any) -> None:
        self.behaviour = behaviour
        self.options = options
        self.requests: list[str] = []
        self.prefix_headers: list[str | None] = []  # X-Llama-Native-Prefix of each POST
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                outer.requests.append("GET " + self.path)
                if outer.behaviour == "busy":  # as a llama-server still loading its model
                    outer.handle(self)
                elif self.path == "/health":
                    self._reply(200, b'{"status": "ok"}')
                elif self.path == "/v1/models":
                    self._reply(200, json.dumps({"data": [{"id": "fake"}]}).encode())
                else:
                    self._reply(404, b'{"error": {"message": "not found"}}')

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                outer.requests.append("POST " + self.path)
                outer.prefix_headers.append(self.headers.get("X-Llama-Native-Prefix"))
                outer.handle(self)

            def _reply(self, status: int, body: bytes, content_type: str = "application/json") -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def handle(self, handler: Any) -> None:
        """Answer a POST as ``behaviour`` says."""
        if self.behaviour == "garbage":
            handler._reply(200, b"<html>this is not JSON</html>", "text/html")
        elif self.behaviour == "hang":
            time.sleep(self.options.get("seconds", 30))
        elif self.behaviour == "busy":
            handler.send_response(503)
            handler.send_header("Retry-After", "0")
            handler.send_header("Content-Length", "0")
            handler.end_headers()
        elif self.behaviour == "invalid_json_output":  # an OpenAI server that ignores response_format
            message = {"role": "assistant", "content": '{"name": 5}'}
            body = {"id": "x", "object": "chat.completion", "created": 0, "model": "fake",
                    "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}  # fmt: skip
            handler._reply(200, json.dumps(body).encode())
        elif self.behaviour == "broken_stream":  # two chunks, then the connection drops
            handler.send_response(200)
            handler.send_header("Content-Type", "text/event-stream")
            handler.end_headers()
            for text in ("Hel", "lo"):
                chunk = {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": "fake",
                         "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}]}  # fmt: skip
                handler.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                handler.wfile.flush()
            handler.close_connection = True
        else:
            raise ValueError(self.behaviour)

    def __enter__(self) -> FakeServer:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()
