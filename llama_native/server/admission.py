"""How many requests run and wait: past the slots and ``max_queue`` more, the next gets 503.

Example::

    >>> from llama_native.server.admission import Admission, ServerBusy
    >>> gate = Admission(slots=1, max_queue=1)
    >>> a, b = gate.enter(), gate.enter()
    >>> try:
    ...     gate.enter()
    ... except ServerBusy:
    ...     print("busy")
    busy
    >>> a.release(); gate.running, gate.waiting
    (1, 0)
"""

from __future__ import annotations

import threading
from typing import Any


class ServerBusy(Exception):
    """Every slot runs and the queue is full (503, ``Retry-After``)."""


class Ticket:
    """A request's place; :meth:`release` once (later calls do nothing)."""

    def __init__(self, gate: Admission) -> None:
        self._gate = gate
        self._released = False

    def release(self) -> None:
        """Leave (the request finished, failed or was cancelled)."""
        if not self._released:
            self._released = True
            self._gate._leave()


class Admission:
    """Counts the admitted requests against ``slots + max_queue``."""

    def __init__(self, slots: int, max_queue: int, metrics: Any = None) -> None:
        self.slots = max(1, slots)
        self.max_queue = max(0, max_queue)
        self._admitted = 0
        self._lock = threading.Lock()
        self._metrics = metrics

    @property
    def running(self) -> int:
        """Requests holding a slot."""
        return min(self._admitted, self.slots)

    @property
    def waiting(self) -> int:
        """Requests waiting for a slot."""
        return max(0, self._admitted - self.slots)

    def enter(self) -> Ticket:
        """A ticket, or ``ServerBusy`` when the queue is full."""
        with self._lock:
            if self._admitted >= self.slots + self.max_queue:
                raise ServerBusy(
                    f"the server is busy: {self.slots} requests running and {self.max_queue} waiting; retry shortly"
                )
            self._admitted += 1
        self._report()
        return Ticket(self)

    def _leave(self) -> None:
        with self._lock:
            self._admitted -= 1
        self._report()

    def _report(self) -> None:
        if self._metrics is not None:
            self._metrics.load(self.running, self.waiting)
