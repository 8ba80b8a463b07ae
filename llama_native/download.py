"""Downloading a GGUF from a URL into a cache: resumable, with a progress bar and an optional SHA-256 check.

LlamaIndex's ``LlamaCPP(model_url=...)`` uses it (as llama-index-llms-llama-cpp
downloads its ``model_url``).  It is written on the standard library's
``urllib`` rather than ``requests`` or ``huggingface_hub`` because it needs
only a plain HTTP(S) GET with ``Range`` (to resume a broken download) and
those are not dependencies of the base install; Hugging Face repositories go
through ``Llama.from_pretrained`` and ``huggingface_hub`` instead.

A download goes to ``<name>.part`` beside the target and is renamed only
once complete (and, with ``sha256``, verified), so an interrupted one never
looks like a model; calling again resumes where it stopped.

Example::

    >>> from llama_native.download import model_cache_dir
    >>> model_cache_dir().name
    'models'
"""

from __future__ import annotations

import hashlib
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from .llama_cpp_source import cache_dir

_BLOCK = 1 << 20


class DownloadError(OSError):
    """A download failed: HTTP error, truncated body, or a checksum that does not match."""


def model_cache_dir() -> Path:
    """Where downloaded models are kept: ``models/`` in the llama-native cache (``$LLAMA_NATIVE_CACHE``)."""
    return cache_dir() / "models"


def _file_name(url: str) -> str:
    name = os.path.basename(urllib.parse.urlparse(url).path)
    if not name:
        raise ValueError(f"cannot tell a file name from the URL {url!r}; it should end with the file's name")
    return name


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(_BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()


def download_model(
    url: str,
    dest_dir: str | os.PathLike | None = None,
    sha256: str | None = None,
    progress: bool = True,
    timeout: float = 60.0,
) -> Path:
    """The local path of the file at ``url``, downloaded into ``dest_dir`` (default :func:`model_cache_dir`) once.

    A file already there is reused (checked against ``sha256`` when given).
    A partial download is resumed with an HTTP ``Range`` request.
    ``DownloadError`` names what went wrong: an HTTP error, a body shorter
    than announced (call again to resume), a checksum mismatch (the
    partial file is removed).
    """
    if not isinstance(url, str) or urllib.parse.urlparse(url).scheme not in ("http", "https"):
        raise ValueError(f"model_url must be an http(s) URL, got {url!r}")
    folder = Path(dest_dir) if dest_dir is not None else model_cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / _file_name(url)
    expected = sha256.lower() if sha256 else None
    if target.exists():
        if expected is None or _sha256(target) == expected:
            return target
        target.unlink()  # a different file under that name: fetch it again
    part = target.with_name(target.name + ".part")
    _fetch(url, part, progress, timeout)
    if expected is not None:
        actual = _sha256(part)
        if actual != expected:
            part.unlink()
            raise DownloadError(f"{url} has SHA-256 {actual}, expected {expected}; the download was removed")
    os.replace(part, target)
    return target


def _fetch(url: str, part: Path, progress: bool, timeout: float) -> None:
    """Download ``url`` into ``part``, resuming from its current size."""
    have = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url, headers={"Range": f"bytes={have}-"} if have else {})
    try:
        response = urllib.request.urlopen(request, timeout=timeout)  # noqa: S310 - http(s) checked above
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and have:  # nothing left to fetch: the part file is whole
            return
        raise DownloadError(f"downloading {url} failed: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise DownloadError(f"downloading {url} failed: {getattr(exc, 'reason', exc)}") from None
    with response:
        resumed = response.status == 206
        length = response.headers.get("Content-Length")
        total = (int(length) + (have if resumed else 0)) if length is not None else None
        done = have if resumed else 0
        bar = _progress_bar(total, done, part.name) if progress else None
        try:
            with open(part, "ab" if resumed else "wb") as out:
                while True:
                    try:
                        block = response.read(_BLOCK)
                    except (OSError, ValueError) as exc:  # a connection cut mid-body
                        raise DownloadError(
                            f"downloading {url} broke off after {done} bytes ({exc}); call again to resume"
                        ) from None
                    if not block:
                        break
                    out.write(block)
                    done += len(block)
                    if bar is not None:
                        bar.update(len(block))
        finally:
            if bar is not None:
                bar.close()
    if total is not None and done < total:
        raise DownloadError(f"downloading {url} stopped at {done} of {total} bytes; call again to resume")


def _progress_bar(total: int | None, done: int, name: str) -> Any:
    """Download progress: a tqdm bar on a terminal (when tqdm is installed), else plain lines every 10%.

    A log file (stderr not a TTY) gets short lines and no carriage returns.
    """
    if sys.stderr.isatty():
        try:
            from tqdm.auto import tqdm
        except ImportError:
            pass
        else:
            return tqdm(total=total, initial=done, unit="B", unit_scale=True, desc=name, file=sys.stderr, leave=False)
    return PlainProgress(name, total, done)


class PlainProgress:
    """tqdm's ``update``/``close`` as a plain line on stderr per 10% (per 100 MB when the size is unknown).

    Example::

        >>> bar = PlainProgress("m.gguf", None, 0)
        >>> bar.update(10)
    """

    def __init__(self, name: str, total: int | None, done: int) -> None:
        self.name, self.total, self.done = name, total, done
        self.step = max(1, total // 10) if total else 100_000_000
        self.next = (done // self.step + 1) * self.step

    def update(self, n: int) -> None:
        self.done += n
        if self.done >= self.next:
            self.next = (self.done // self.step + 1) * self.step
            self._line()

    def _line(self) -> None:
        of = f" of {self.total / 1e6:.1f} MB ({100 * self.done // self.total}%)" if self.total else " MB"
        print(f"downloading {self.name}: {self.done / 1e6:.1f}{of}", file=sys.stderr, flush=True)

    def close(self) -> None:
        """Nothing to clear: the lines stay."""


__all__ = ["DownloadError", "download_model", "model_cache_dir"]
