"""Timing of a streamed completion, shared by the decode-speed benchmarks."""

from __future__ import annotations

import time
from typing import Iterable, Tuple


def time_stream(stream: Iterable[dict]) -> Tuple[float, int]:
    """Seconds from the first chunk (prompt decoded, first token sampled) to the end, and completion tokens."""
    first = None
    n = 0
    for chunk in stream:
        if first is None:
            first = time.perf_counter()
        if chunk["choices"][0]["finish_reason"] is not None:
            n = chunk["usage"]["completion_tokens"]
    if first is None:
        raise RuntimeError("the stream produced no chunk")
    return time.perf_counter() - first, n
