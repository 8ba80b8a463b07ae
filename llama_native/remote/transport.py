"""HTTP to a fleet: JSON requests and server-sent-event streams, with retries, failover and timeouts.

Built on httpx.  A request goes to the server the :class:`ServerPool` picks.
Connection failures, a garbage answer (not JSON) and 502/503 are retried on
another server after a backoff (``Retry-After`` honoured, up to 5 s), at most
``max_retries`` times; a server that failed is marked down.  Other HTTP errors
(400 for a bad request, ...) are raised at once, with the server's own message.
A read timeout raises ``RemoteTimeoutError``: the server may still be working
on the request, so it is not sent again elsewhere.

A stream is retried the same way until its response starts; after that, a
connection that breaks, a payload that is not JSON or a read timeout raises
``RemoteStreamError``/``RemoteTimeoutError``: the caller never takes what
arrived for the whole output.

The event-stream framing is read here (``data:`` lines; llama-server's and
OpenAI's streams use nothing else) rather than with httpx-sse, because
llama-server sends errors during a stream as ``error:`` lines that a strict
SSE reader drops.

Example::

    >>> from llama_native.remote.pool import ServerPool
    >>> pool = ServerPool(["http://127.0.0.1:9"], probe=lambda url: False)
    >>> transport = Transport(pool, timeout=5, connect_timeout=1, max_retries=0)
    >>> try:
    ...     transport.post_json("/completion", {})
    ... except ConnectionError as exc:
    ...     print(type(exc).__name__)
    RemoteConnectionError
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from .errors import RemoteConnectionError, RemoteError, RemoteStreamError, RemoteTimeoutError
from .pool import Server, ServerPool

try:
    import httpx
except ImportError:  # pragma: no cover - the remote extra is missing
    httpx = None  # type: ignore[assignment]

_RETRY_STATUS = (502, 503)
#: sent with every request that has an affinity key, so a load balancer in front of the servers
#: can route by prefix too (nginx ``hash $http_x_llama_native_prefix consistent``, Envoy ring hash)
PREFIX_HEADER = "X-Llama-Native-Prefix"


def prefix_hash(affinity: str) -> str:
    """The affinity key as a short stable hash (the header's value)."""
    return hashlib.blake2b(affinity.encode(), digest_size=8).hexdigest()


#: the payload of the event that ends an OpenAI stream
DONE = "[DONE]"


class Transport:
    """JSON and event streams over one pool of servers (thread-safe: one httpx client, shared)."""

    def __init__(
        self,
        pool: ServerPool,
        *,
        timeout: float,
        connect_timeout: float,
        max_retries: int,
        backoff: float = 0.1,
        api_key: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        if httpx is None:
            raise ImportError("the remote backend needs httpx: pip install 'llama-native[remote]'")
        self.pool = pool
        self.connect_timeout = connect_timeout
        self.max_retries = max_retries
        self.backoff = backoff
        all_headers = dict(headers or {})
        if api_key:
            all_headers["Authorization"] = f"Bearer {api_key}"
        # creating the client opens no connection: none is made before the first request
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout, connect=connect_timeout),
            headers=all_headers,
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=64),
        )
        self._open: dict[int, set[Any]] = {}  # thread id -> responses it is reading (for cancel_thread)
        self._open_lock = threading.Lock()

    # ------------------------------------------------------------- health
    def probe(self, url: str) -> bool:
        """``GET /health`` answers 200 within the connect timeout."""
        try:
            response = self._client.get(url + "/health", timeout=min(self.connect_timeout, 5.0))
        except httpx.HTTPError as exc:
            raise RemoteConnectionError(_describe(exc), server=url) from None
        return response.status_code == 200

    def get_json(self, server: Server, path: str) -> Any:
        """``GET path`` on this very server (no failover); its JSON answer."""
        return self._on(server, "GET", path, None)

    def get_from_any(self, path: str) -> tuple[Server, Any]:
        """``GET path`` on the first server that answers it (unreachable or 502/503 ones are skipped)."""
        tried: list[str] = []
        errors: list[str] = []
        for _ in range(len(self.pool.servers)):
            server = self.pool.pick(exclude=tried)
            if server.url in tried:
                break
            tried.append(server.url)
            try:
                return server, self.get_json(server, path)
            except RemoteError as exc:
                if exc.status is not None and exc.status not in _RETRY_STATUS:
                    raise
                errors.append(str(exc))
        raise RemoteConnectionError(f"no server answered GET {path} ({'; '.join(errors)})")

    def post_on(self, server: Server, path: str, body: dict[str, Any]) -> Any:
        """POST ``body`` to this very server (no failover); its JSON answer."""
        return self._on(server, "POST", path, body)

    def _on(self, server: Server, method: str, path: str, body: dict[str, Any] | None) -> Any:
        what = f"{method} {path}"
        try:
            response = self._client.request(method, server.url + path, json=body)
        except httpx.TimeoutException as exc:
            raise RemoteTimeoutError(f"no answer to {what} within the timeout ({_describe(exc)})",
                                     server=server.url) from None  # fmt: skip
        except httpx.HTTPError as exc:
            self.pool.mark_failed(server, _describe(exc))
            raise RemoteConnectionError(_describe(exc), server=server.url) from None
        if response.status_code != 200:
            raise _http_error(server, response.status_code, response.text, what)
        return _json_body(server, response.text, what)

    # ----------------------------------------------------------- requests
    def post_json(
        self, path: str, body: dict[str, Any], affinity: str | None = None, count: bool = True
    ) -> tuple[Server, Any]:
        """POST ``body`` to the fleet; the server that answered and its JSON answer.

        ``count=False``: a helper request (tokenizing) that the server's ``requests`` do not count.
        """
        errors: list[str] = []
        for server, response in self._attempts(path, body, affinity, errors, count):
            try:
                text = response.read().decode("utf-8", "replace")
            except httpx.TimeoutException as exc:
                raise RemoteTimeoutError(f"no answer to POST {path} within the timeout ({_describe(exc)})",
                                         server=server.url) from None  # fmt: skip
            except httpx.HTTPError as exc:  # the answer broke off: nothing of it was used; try another server
                self.pool.mark_failed(server, _describe(exc))
                errors.append(f"{server.url}: {_describe(exc)}")
                continue
            try:
                return server, _json_body(server, text, f"POST {path}")
            except RemoteError as exc:
                self.pool.mark_failed(server, str(exc))
                errors.append(str(exc))
        raise _exhausted(path, errors)

    def stream_events(
        self,
        path: str,
        body: dict[str, Any],
        affinity: str | None = None,
        on_server: Callable[[Server], None] | None = None,
    ) -> Iterator[Any]:
        """POST ``body`` and yield each event's JSON payload (``DONE`` for ``[DONE]``).

        ``on_server(server)`` learns which server answered, before the first event.
        """
        errors: list[str] = []
        for server, response in self._attempts(path, body, affinity, errors):
            if on_server is not None:
                on_server(server)
            events = 0
            try:
                for line in response.iter_lines():
                    if line.startswith("error:"):
                        raise _http_error(server, 500, line[6:], f"POST {path} (mid-stream)")
                    if not line.startswith("data:"):
                        continue
                    payload = line[5:].strip()
                    if payload == DONE:
                        yield DONE
                        continue
                    try:
                        event = json.loads(payload)
                    except json.JSONDecodeError:
                        raise RemoteStreamError(
                            f"the stream of POST {path} carried something that is not JSON after {events} events: "
                            f"{payload[:200]!r}",
                            server=server.url,
                        ) from None
                    if isinstance(event, dict) and "error" in event and "choices" not in event:
                        raise _http_error(server, 500, payload, f"POST {path} (mid-stream)")
                    events += 1
                    yield event
                return
            except httpx.TimeoutException:
                raise RemoteTimeoutError(f"the stream of POST {path} stalled past the timeout after {events} events",
                                         server=server.url) from None  # fmt: skip
            except httpx.HTTPError as exc:
                self.pool.mark_failed(server, _describe(exc))
                raise RemoteStreamError(
                    f"the stream of POST {path} broke off after {events} events ({_describe(exc)}); "
                    "what arrived is not the whole output",
                    server=server.url,
                ) from None
        raise _exhausted(path, errors)

    def _attempts(
        self, path: str, body: dict[str, Any], affinity: str | None, errors: list[str], count: bool = True
    ) -> Iterator[tuple[Server, Any]]:
        """Open the request on one server after another until one answers 200; yields (server, response).

        The server counts the request in flight, and the response stays open,
        until the caller asks for the next attempt or leaves.
        """
        tried: list[str] = []
        for attempt in range(self.max_retries + 1):
            if attempt:
                time.sleep(min(self.backoff * 2 ** (attempt - 1), 2.0))
            server = self.pool.pick(affinity, exclude=tried, count=count)
            tried.append(server.url)
            with self.pool.lease(server, count):
                try:
                    headers = {PREFIX_HEADER: prefix_hash(affinity)} if affinity else None
                    request = self._client.build_request("POST", server.url + path, json=body, headers=headers)
                    response = self._client.send(request, stream=True)
                except httpx.TimeoutException as exc:
                    if not isinstance(exc, httpx.ConnectTimeout):
                        raise RemoteTimeoutError(f"no answer to POST {path} within the timeout ({_describe(exc)})",
                                                 server=server.url) from None  # fmt: skip
                    self.pool.mark_failed(server, _describe(exc))
                    errors.append(f"{server.url}: {_describe(exc)}")
                    continue
                except httpx.HTTPError as exc:
                    self.pool.mark_failed(server, _describe(exc))
                    errors.append(f"{server.url}: {_describe(exc)}")
                    continue
                try:
                    if response.status_code in _RETRY_STATUS:
                        retry_after = response.headers.get("Retry-After", "")
                        errors.append(f"{server.url}: answered {response.status_code}")
                        if retry_after.isdigit():
                            time.sleep(min(float(retry_after), 5.0))
                        continue
                    if response.status_code != 200:
                        text = response.read().decode("utf-8", "replace")
                        raise _http_error(server, response.status_code, text, f"POST {path}")
                    self.pool.mark_ok(server)
                    self._remember(response)
                    yield server, response
                finally:
                    self._forget(response)
                    response.close()

    # --------------------------------------------------------- cancelling
    def _remember(self, response: Any) -> None:
        with self._open_lock:
            self._open.setdefault(threading.get_ident(), set()).add(response)

    def _forget(self, response: Any) -> None:
        with self._open_lock:
            for owner, responses in list(self._open.items()):
                responses.discard(response)
                if not responses:  # a thread per async call: drop the threads that read nothing now
                    del self._open[owner]

    def cancel_thread(self, owner: int | None) -> None:
        """Close the responses thread ``owner`` is reading: the server sees the client leave and stops."""
        with self._open_lock:
            responses = list(self._open.pop(owner, ())) if owner is not None else []
        for response in responses:
            response.close()

    def close(self) -> None:
        """Close every connection."""
        self._client.close()


def _exhausted(path: str, errors: list[str]) -> RemoteError:
    return RemoteConnectionError(f"POST {path} failed on every attempt ({'; '.join(errors) or 'no server'})")


def _describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _json_body(server: Server, text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        raise RemoteError(
            f"answered {what} with something that is not JSON: {text[:200]!r}", server=server.url
        ) from None


def _http_error(server: Server, status: int, text: str, what: str) -> RemoteError:
    """The server's own error message (OpenAI's and llama-server's ``{"error": {"message"}}``) when it gives one."""
    message = text.strip()[:500]
    try:
        data = json.loads(text)
        error = data.get("error") if isinstance(data, dict) else None
        if isinstance(error, dict) and error.get("message"):
            message = str(error["message"])
        elif isinstance(error, str):
            message = error
    except (json.JSONDecodeError, AttributeError):
        pass
    return RemoteError(f"answered {what} with {status}: {message}", server=server.url, status=status)
