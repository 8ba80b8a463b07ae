"""The ``/metrics`` figures in Prometheus's text format (``prometheus_client``, one registry per app).

Requests by route and status, prompt and completion tokens, queue length,
active slots, time to first token and tokens per second.

Example::

    >>> from llama_native.server.metrics import ServerMetrics
    >>> m = ServerMetrics()
    >>> m.request("chat", 200)
    >>> b'llama_native_requests_total{route="chat",status="200"} 1.0' in m.render()
    True
"""

from __future__ import annotations

import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest


class ServerMetrics:
    """The server's counters, gauges and histograms."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "llama_native_requests", "Requests by route and status", ["route", "status"], registry=r
        )
        self.prompt_tokens = Counter("llama_native_prompt_tokens", "Prompt tokens processed", registry=r)
        self.completion_tokens = Counter("llama_native_completion_tokens", "Tokens generated", registry=r)
        self.queue_length = Gauge("llama_native_queue_length", "Requests waiting for a slot", registry=r)
        self.active_slots = Gauge("llama_native_active_slots", "Requests running", registry=r)
        self.ttft = Histogram(
            "llama_native_time_to_first_token_seconds", "Time to the first streamed chunk", registry=r,
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
        )  # fmt: skip
        self.tps = Histogram(
            "llama_native_tokens_per_second", "Completion tokens per second of each request", registry=r,
            buckets=(1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500),
        )  # fmt: skip

    def request(self, route: str, status: int) -> None:
        """Count one request."""
        self.requests.labels(route=route, status=str(status)).inc()

    def load(self, running: int, waiting: int) -> None:
        """The admission's current figures."""
        self.active_slots.set(running)
        self.queue_length.set(waiting)

    def finished(self, usage: dict[str, Any] | None, started: float, first_token: float | None) -> None:
        """A request's tokens and timings."""
        if first_token is not None:
            self.ttft.observe(first_token - started)
        if not usage:
            return
        self.prompt_tokens.inc(usage.get("prompt_tokens", 0))
        completion = usage.get("completion_tokens", 0)
        self.completion_tokens.inc(completion)
        elapsed = time.monotonic() - (first_token or started)
        if completion and elapsed > 0:
            self.tps.observe(completion / elapsed)

    def render(self) -> bytes:
        """The text exposition."""
        return generate_latest(self.registry)
