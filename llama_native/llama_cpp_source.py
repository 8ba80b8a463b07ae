"""Locate, fetch and verify the pinned llama.cpp source (public build tooling).

CMake runs it before the extension is built; the tests, the benchmarks and
:mod:`llama_native.llama_cpp_tools` (llama.cpp's own binaries) use it to
find the same source.

llama.cpp is pinned to the copy vendored in the ``llama-cpp-python`` sdist on
the Python package index.  This module downloads that sdist with ``pip``
(so the user's pip configuration, mirrors and proxies apply), checks its
SHA-256, unpacks only ``vendor/llama.cpp`` into a cache directory outside the
repository and prints or returns that directory.

It uses the standard library only, because CMake runs it as a plain script
before the package is built (``python llama_cpp_source.py --print-dir``).

Resolution order:

1. ``LLAMA_CPP_DIR`` environment variable (a llama.cpp checkout; used as is).
2. The cache: ``$LLAMA_NATIVE_CACHE`` or ``$XDG_CACHE_HOME/llama-native`` or
   ``~/.cache/llama-native``; reused when already unpacked.
3. ``pip download`` of the pinned sdist into the cache, hash-checked.

Example::

    python llama_native/llama_cpp_source.py --print-dir
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

PINNED_PACKAGE = "llama-cpp-python"
PINNED_VERSION = "0.3.36"
PINNED_SHA256 = "832db0699007f1be95a7e41ef12e88926b02ba836461e36a36372db2760c1a2e"
PINNED_LLAMA_CPP_COMMIT = "0c1e570"
_SDIST_NAME = f"llama_cpp_python-{PINNED_VERSION}.tar.gz"
_VENDOR_PREFIX = f"llama_cpp_python-{PINNED_VERSION}/vendor/llama.cpp/"


def cache_dir() -> Path:
    """Return the directory that holds the downloaded sdist and unpacked source."""
    explicit = os.environ.get("LLAMA_NATIVE_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "llama-native"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _download_sdist(target_dir: Path) -> Path:
    """Download the pinned sdist with pip into ``target_dir`` and return its path."""
    sdist = target_dir / _SDIST_NAME
    if sdist.exists() and _sha256(sdist) == PINNED_SHA256:
        return sdist
    with tempfile.TemporaryDirectory(prefix="llama-native-dl-") as tmp:
        base_cmd = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--no-binary",
            ":all:",
            "--disable-pip-version-check",
            "--dest",
            tmp,
            f"{PINNED_PACKAGE}=={PINNED_VERSION}",
        ]
        # Preparing the sdist's metadata needs scikit-build-core; without build
        # isolation this reuses ours and needs nothing more from the index.
        result = subprocess.run(base_cmd + ["--no-build-isolation"], capture_output=True, text=True)
        if result.returncode != 0:
            result = subprocess.run(base_cmd, capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(
                f"pip could not download {PINNED_PACKAGE}=={PINNED_VERSION} "
                f"(the pinned llama.cpp source):\n{result.stdout}\n{result.stderr}\n"
                "Set LLAMA_CPP_DIR=/path/to/llama.cpp to build from a local checkout."
            )
        downloaded = Path(tmp) / _SDIST_NAME
        if not downloaded.exists():
            raise RuntimeError(f"pip did not produce {_SDIST_NAME}: {os.listdir(tmp)}")
        actual = _sha256(downloaded)
        if actual != PINNED_SHA256:
            raise RuntimeError(
                f"{_SDIST_NAME} has sha256 {actual}, expected {PINNED_SHA256}; refusing to build from it"
            )
        target_dir.mkdir(parents=True, exist_ok=True)
        shutil.move(str(downloaded), sdist)
    return sdist


def _unpack_vendor(sdist: Path, dest: Path) -> None:
    """Unpack only ``vendor/llama.cpp`` from the sdist into ``dest`` (atomically)."""
    staging = Path(tempfile.mkdtemp(prefix="llama.cpp-", dir=dest.parent))
    try:
        with tarfile.open(sdist, "r:gz") as archive:
            members = []
            for member in archive.getmembers():
                if not member.name.startswith(_VENDOR_PREFIX):
                    continue
                if member.issym() or member.islnk() or ".." in Path(member.name).parts:
                    continue
                member.name = member.name[len(_VENDOR_PREFIX) :]
                if member.name:
                    members.append(member)
            try:
                archive.extractall(staging, members=members, filter="data")
            except TypeError:  # Python < 3.12 without the filter argument
                archive.extractall(staging, members=members)
        (staging / ".llama-native-complete").write_text(PINNED_SHA256)
        if dest.exists():
            shutil.rmtree(dest)
        staging.rename(dest)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def llama_cpp_dir(fetch: bool = True) -> Path:
    """Return the llama.cpp source directory, fetching the pinned copy if needed.

    Example::

        >>> from llama_native.llama_cpp_source import llama_cpp_dir
        >>> (llama_cpp_dir() / "include" / "llama.h").exists()
        True
    """
    override = os.environ.get("LLAMA_CPP_DIR")
    if override:
        path = Path(override).expanduser().resolve()
        if not (path / "include" / "llama.h").exists():
            raise RuntimeError(f"LLAMA_CPP_DIR={override} does not contain include/llama.h")
        return path
    root = cache_dir()
    dest = root / f"llama.cpp-{PINNED_LLAMA_CPP_COMMIT}"
    if (dest / ".llama-native-complete").exists():
        return dest
    if not fetch:
        raise FileNotFoundError(f"pinned llama.cpp source not found in {dest}")
    root.mkdir(parents=True, exist_ok=True)
    sdist = _download_sdist(root)
    _unpack_vendor(sdist, dest)
    return dest


def llama_cpp_python_source(relative: str) -> str:
    """The text of a file of the pinned llama-cpp-python sdist (``"llama_cpp/llama.py"``), for parity checks.

    Example::

        >>> from llama_native.llama_cpp_source import llama_cpp_python_source
        >>> "def create_completion" in llama_cpp_python_source("llama_cpp/llama.py")
        True
    """
    root = cache_dir()
    root.mkdir(parents=True, exist_ok=True)
    sdist = _download_sdist(root)
    name = f"llama_cpp_python-{PINNED_VERSION}/{relative}"
    with tarfile.open(sdist, "r:gz") as archive:
        member = archive.extractfile(name)
        if member is None:
            raise FileNotFoundError(f"{relative} is not a file of {_SDIST_NAME}")
        return member.read().decode("utf-8")


def main(argv: list[str]) -> int:
    """``llama_cpp_source.py [--print-dir]``: print the source directory (fetching it if needed); the exit status."""
    if argv[1:] not in ([], ["--print-dir"]):
        print("usage: llama_cpp_source.py [--print-dir]", file=sys.stderr)
        return 2
    try:
        print(llama_cpp_dir())
    except Exception as exc:  # printed for CMake, which shows stderr
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
