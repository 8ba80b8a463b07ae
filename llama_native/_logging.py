"""Route llama.cpp's log lines to Python ``logging``.

llama.cpp logs through one process-wide callback.  The native layer forwards
each complete line to the logger ``llama_native.llama_cpp`` (with the GIL
taken only for lines that pass the level filter), so by default nothing is
printed; ``verbose=True`` on any ``Llama`` turns on INFO lines and, when the
application has configured no handler, prints them to stderr as
llama-cpp-python does.
"""

from __future__ import annotations

import atexit
import logging
import sys
import threading

from . import _native

logger = logging.getLogger("llama_native")
llama_cpp_logger = logging.getLogger("llama_native.llama_cpp")

_GGML_TO_LOGGING = {1: logging.DEBUG, 2: logging.INFO, 3: logging.WARNING, 4: logging.ERROR}
_GGML_INFO, _GGML_SILENT = 2, 5
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


def acquire_verbose() -> None:
    """Start forwarding llama.cpp's INFO+ lines (reference counted)."""
    global _verbose_users, _handler
    with _lock:
        _verbose_users += 1
        if _verbose_users == 1:
            if not logger.handlers and not logging.getLogger().handlers:
                _handler = logging.StreamHandler(sys.stderr)
                _handler.setFormatter(logging.Formatter("%(message)s"))
                logger.addHandler(_handler)
                if logger.level == logging.NOTSET or logger.level > logging.INFO:
                    logger.setLevel(logging.INFO)
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


class ProgressPrinter:
    """Default load-progress callback for ``verbose=True``: prints every 10%."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.last = -1

    def __call__(self, progress: float) -> bool:
        percent = int(progress * 100)
        if percent // 10 != self.last // 10 or percent == 100 and self.last != 100:
            self.last = percent
            print(
                f"\rloading {self.path}: {percent:3d}%", end="\n" if percent >= 100 else "", file=sys.stderr, flush=True
            )
        return True
