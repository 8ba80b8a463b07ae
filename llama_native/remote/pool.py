"""Which server of a fleet takes a request: health, load, prefix affinity, and backoff.

Each server counts the requests it has in flight.  A request goes to the
healthy server with the fewest; with prefix affinity (the default) a request
that carries an affinity key (its system prompt and tools) goes to the server
that key hashes to, so that server's prompt cache already holds the prefix.
The hash is rendezvous hashing (highest random weight), so when a server
leaves or comes back only its own keys move.  Affinity yields to load: when
the chosen server has ``affinity_slack`` more requests in flight than the
least busy one, the least busy one takes the request instead.

A server that fails to connect (or answers garbage) is marked down for a
cooldown that doubles with each consecutive failure (up to ``max_cooldown``);
once it has passed, the server is probed with ``GET /health`` before it takes
requests again.  When every server is down, the one whose cooldown ends first
is probed at once rather than failing the request outright.

Written here rather than taken from a library: the routing needs the
in-flight counts and the affinity key of this process's requests, which
generic HTTP load balancers (and httpx's transports) do not see.

Example::

    >>> pool = ServerPool(["http://a:8080", "http://b:8080"], probe=lambda url: True)
    >>> first = pool.pick("system prompt A")
    >>> pool.pick("system prompt A").url == first.url  # the same prefix, the same server
    True
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from .errors import RemoteConnectionError

ROUTINGS = ("affinity", "least_busy", "round_robin")


@dataclass
class Server:
    """One server of the pool and what the pool knows of it."""

    url: str
    in_flight: int = 0
    failures: int = 0  # consecutive
    down_until: float = 0.0  # monotonic time; 0: up
    requests: int = 0
    last_error: str | None = None

    @property
    def healthy(self) -> bool:
        """Not marked down."""
        return self.down_until == 0.0


class ServerPool:
    """Servers of one fleet, with routing, health and failure bookkeeping (thread-safe).

    ``probe(url) -> bool`` checks a server's health (``GET /health`` in the
    remote client).  ``routing``: ``"affinity"`` (default), ``"least_busy"``
    or ``"round_robin"``.
    """

    def __init__(
        self,
        urls: Sequence[str],
        *,
        probe: Callable[[str], bool],
        routing: str = "affinity",
        affinity_slack: int = 2,
        cooldown: float = 1.0,
        max_cooldown: float = 30.0,
    ) -> None:
        if routing not in ROUTINGS:
            raise ValueError(f"routing must be one of {', '.join(ROUTINGS)}, got {routing!r}")
        if not urls:
            raise ValueError("base_url names no server")
        self.servers = [Server(url) for url in urls]
        self.routing = routing
        self.affinity_slack = affinity_slack
        self.cooldown = cooldown
        self.max_cooldown = max_cooldown
        self._probe = probe
        self._lock = threading.Lock()
        self._turn = 0  # round robin: the last request's turn

    # ------------------------------------------------------------- routing
    def pick(self, affinity: str | None = None, exclude: Sequence[str] = (), count: bool = True) -> Server:
        """The server for the next request (``exclude``: URLs already tried for it, used only if nothing else is up).

        ``count=False``: a helper request (tokenizing) that does not take a round-robin turn.

        Raises ``RemoteConnectionError`` when no server is up and none
        passes a health probe.
        """
        self._revive_due()
        with self._lock:
            up = [s for s in self.servers if s.healthy]
            fresh = [s for s in up if s.url not in exclude]
            candidates = fresh or up
            if candidates:
                return self._choose(candidates, affinity, count)
        # every server is down: probe them, soonest cooldown first
        for server in sorted(self.servers, key=lambda s: s.down_until):
            if self._probe_now(server):
                return server
        details = "; ".join(f"{s.url}: {s.last_error or 'down'}" for s in self.servers)
        raise RemoteConnectionError(f"no server of the fleet is reachable ({details})")

    def _choose(self, candidates: list[Server], affinity: str | None, count: bool) -> Server:
        if self.routing == "round_robin":
            self._turn += count
            return candidates[self._turn % len(candidates)]
        least = min(candidates, key=lambda s: s.in_flight)
        if self.routing == "least_busy" or affinity is None:
            return least
        chosen = max(candidates, key=lambda s: _weight(affinity, s.url))
        return chosen if chosen.in_flight <= least.in_flight + self.affinity_slack else least

    @contextmanager
    def lease(self, server: Server, count: bool = True) -> Iterator[Server]:
        """Count a request in flight on ``server`` while the ``with`` block runs (``count``: in ``requests`` too)."""
        with self._lock:
            server.in_flight += 1
            server.requests += count
        try:
            yield server
        finally:
            with self._lock:
                server.in_flight -= 1

    # -------------------------------------------------------------- health
    def mark_failed(self, server: Server, error: str) -> None:
        """``server`` failed (connection, garbage): down for a cooldown that doubles per failure."""
        with self._lock:
            server.failures += 1
            server.last_error = error
            pause = min(self.cooldown * 2 ** (server.failures - 1), self.max_cooldown)
            server.down_until = time.monotonic() + pause

    def mark_ok(self, server: Server) -> None:
        """``server`` answered: up again, failures forgotten."""
        with self._lock:
            server.failures = 0
            server.down_until = 0.0

    def _revive_due(self) -> None:
        now = time.monotonic()
        for server in [s for s in self.servers if not s.healthy and s.down_until <= now]:
            self._probe_now(server)

    def _probe_now(self, server: Server) -> bool:
        try:
            ok = self._probe(server.url)
        except Exception as exc:  # noqa: BLE001 - any failure of a probe means "not up"
            ok, server.last_error = False, str(exc)
        if ok:
            self.mark_ok(server)
        else:
            self.mark_failed(server, server.last_error or "health check failed")
        return ok

    def check_health(self) -> dict[str, bool]:
        """Probe every server now; ``{url: up}``."""
        return {server.url: self._probe_now(server) for server in self.servers}


def _weight(key: str, url: str) -> int:
    """Rendezvous-hashing weight of ``url`` for ``key``."""
    return int.from_bytes(hashlib.blake2b(f"{key}\x00{url}".encode(), digest_size=8).digest(), "big")
