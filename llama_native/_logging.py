"""Route llama.cpp's log lines to Python ``logging``; load progress; the per-call perf summary.

llama.cpp logs through one process-wide callback.  The native layer forwards
each complete line to the logger ``llama_native.llama_cpp`` (with the GIL
taken only for lines that pass the level filter; ggml's levels map to
DEBUG, INFO, WARNING and ERROR), so by default nothing is printed;
``verbose=True`` on any ``Llama`` turns on INFO lines and, when the
application has configured no handler, prints them to stderr as
llama-cpp-python does.  The package's own loggers are children of
``llama_native`` by layer: ``llama_native.perf`` (each call's timings with
``verbose=True``, in the format of llama.cpp's ``llama_perf_context_print``),
and ``llama_native.server`` (the access log).

Example::

    >>> bar = ProgressPrinter("model.gguf", interactive=False)
    >>> _ = [bar(p / 4) for p in range(5)]  # logs "loading model.gguf: 25%" ... with no carriage return
"""

from __future__ import annotations

import atexit
import logging
import sys
import threading
from typing import Any

from . import _native

logger = logging.getLogger("llama_native")
llama_cpp_logger = logging.getLogger("llama_native.llama_cpp")
perf_logger = logging.getLogger("llama_native.perf")

_GGML_TO_LOGGING = {1: logging.DEBUG, 2: logging.INFO, 3: logging.WARNING, 4: logging.ERROR}
_GGML_DEBUG, _GGML_INFO, _GGML_SILENT = 1, 2, 5
_lock = threading.Lock()
_verbose_users = 0
_handler: logging.Handler | None = None


def _sink(level: int, text: str) -> None:
    llama_cpp_logger.log(_GGML_TO_LOGGING.get(level, logging.INFO), "%s", text)


_native.set_log_sink(_sink)


@atexit.register
def _detach_sink() -> None:
    """Drop the sink before interpreter shutdown so no log line calls into a dying interpreter."""
    _native.set_log_level(_GGML_SILENT)
    _native.set_log_sink(None)


def acquire_verbose(debug: bool = False) -> None:
    """Start forwarding llama.cpp's INFO+ lines (DEBUG+ with ``debug``; reference counted)."""
    global _verbose_users, _handler
    with _lock:
        _verbose_users += 1
        if debug:
            _native.set_log_level(_GGML_DEBUG)
        if _verbose_users == 1:
            if not logger.handlers and not logging.getLogger().handlers:
                _handler = logging.StreamHandler(sys.stderr)
                _handler.setFormatter(logging.Formatter("%(message)s"))
                logger.addHandler(_handler)
                if logger.level == logging.NOTSET or logger.level > logging.INFO:
                    logger.setLevel(logging.INFO)
            if not debug:
                _native.set_log_level(_GGML_INFO)


def release_verbose() -> None:
    """Undo one :func:`acquire_verbose`."""
    global _verbose_users, _handler
    with _lock:
        if _verbose_users == 0:
            return
        _verbose_users -= 1
        if _verbose_users == 0:
            _native.set_log_level(_GGML_SILENT)
            if _handler is not None:
                logger.removeHandler(_handler)
                _handler = None


def log_perf(timings: Any) -> None:
    """One call's perf summary on ``llama_native.perf`` (``verbose=True``: stderr, as llama-cpp-python prints it)."""
    from .timings import perf_summary

    if perf_logger.isEnabledFor(logging.INFO):
        for line in perf_summary(timings):
            perf_logger.info("%s", line)


class ProgressPrinter:
    """Load or download progress: a bar redrawn in place on a terminal, plain lines every 10% otherwise.

    On a terminal (``interactive``: stderr is a TTY) it writes a ``\\r``-redrawn bar
    to stderr.  Otherwise each 10% step is one plain line on stderr, so a log
    file holds short lines, never carriage returns.  ``total`` (bytes, for
    downloads) adds the size.
    """

    def __init__(self, path: str, interactive: bool | None = None, verb: str = "loading", total: int = 0) -> None:
        self.path = path
        self.verb = verb
        self.total = total
        self.interactive = sys.stderr.isatty() if interactive is None else interactive
        self.last = -1

    def __call__(self, progress: float) -> bool:
        percent = max(0, min(100, int(progress * 100)))
        if self.interactive:
            if percent != self.last:
                self.last = percent
                filled = percent * 30 // 100
                bar = "#" * filled + "-" * (30 - filled)
                end = "\n" if percent >= 100 else ""
                print(f"\r{self.verb} {self.path}: [{bar}] {percent:3d}%", end=end, file=sys.stderr, flush=True)
            return True
        if percent // 10 != self.last // 10 or percent == 100 and self.last != 100:
            self.last = percent
            size = f" of {self.total / 1e6:.1f} MB" if self.total else ""
            print(f"{self.verb} {self.path}: {percent}%{size}", file=sys.stderr, flush=True)
        return True
