"""Prepare what ``bench/gpu_bench.sh`` needs on a bare GPU machine (run where pip reaches an index).

Writes into ``bench/.work/`` (git-ignored; name both paths in the device's ``carry``):

* ``llama.cpp-src.tar.gz``: the part of the pinned llama.cpp source the build and the
  benchmark read (CMake files, ggml, src, include, common, vendor, licenses, tools/mtmd,
  tools/llama-bench, tools/batched-bench, gguf-py, the llama-bpe vocabulary and the chat
  templates), ~12 MB instead of the 76.6 MB sdist; ``gpu_bench.sh`` unpacks it and sets
  ``LLAMA_CPP_DIR``, and puts its ``gguf-py`` on ``PYTHONPATH`` when ``gguf`` is missing;
* ``wheels/``: with ``--wheels``, the package's runtime dependencies that the GPU image
  ('cuda': Python 3.12, with numpy, jinja2, typing-extensions, attrs, scikit-build-core,
  nanobind, cmake, ninja) lacks, as manylinux wheels for CPython 3.12, downloaded with pip
  in the versions installed here; ``gpu_bench.sh`` installs them with ``--no-index`` into
  ``bench/.work/site`` and puts that on ``PYTHONPATH``.

Usage::

    python bench/gpu_bench_prepare.py [--wheels] [--python-version 3.12]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tarfile
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / ".work"
PARTS = [
    "CMakeLists.txt", "LICENSE", "cmake", "ggml", "src", "include", "common", "vendor", "licenses",
    "tools/mtmd", "tools/llama-bench", "tools/batched-bench", "gguf-py",
    "models/ggml-vocab-llama-bpe.gguf", "models/templates",
]
# llama_native's runtime dependencies missing from the GPU image (KINDS.md's package list, 2026-11-17)
WHEELS = ["pydantic", "pydantic_core", "annotated-types", "typing-inspection", "jsonref", "jsonschema",
          "jsonschema-specifications", "referencing", "rpds-py", "llguidance"]


def pack_source(out: Path) -> None:
    """Write the parts of the pinned llama.cpp source that the build needs to ``out`` (a .tar.gz)."""
    sys.path.insert(0, str(ROOT / "llama_native"))
    import llama_cpp_source  # standard library only

    src = llama_cpp_source.llama_cpp_dir()
    out.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(out, "w:gz") as archive:
        for part in PARTS:
            path = src / part
            if not path.exists():
                raise SystemExit(f"{path} is missing from the llama.cpp source")
            archive.add(path, arcname=f"llama.cpp/{part}",
                        filter=lambda info: None if "__pycache__" in info.name else info)
    print(f"{out} ({out.stat().st_size / 1e6:.1f} MB) from {src}")


def download_wheels(dest: Path, python_version: str) -> None:
    """Download the wheels in :data:`WHEELS`, pinned to the versions installed here, for the GPU image's Python."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in WHEELS:
        try:
            pin = f"{name}=={version(name)}"
        except PackageNotFoundError:
            pin = name
        command = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:",
                   "--python-version", python_version, "--implementation", "cp", "-d", str(dest)]
        for n in (17, 24, 27, 28, 31, 34):
            command += ["--platform", f"manylinux_2_{n}_x86_64"]
        command += ["--platform", "manylinux2014_x86_64", pin]
        subprocess.run(command, check=True)
    total = sum(p.stat().st_size for p in dest.glob("*.whl"))
    print(f"{dest}: {len(list(dest.glob('*.whl')))} wheels, {total / 1e6:.1f} MB")


def main() -> int:
    """The command line (see the module docstring); the exit status."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--wheels", action="store_true", help="also download the missing runtime wheels")
    parser.add_argument("--python-version", default="3.12", help="the GPU image's Python (default 3.12)")
    args = parser.parse_args()
    pack_source(WORK / "llama.cpp-src.tar.gz")
    if args.wheels:
        download_wheels(WORK / "wheels", args.python_version)
    return 0


if __name__ == "__main__":
    sys.exit(main())
