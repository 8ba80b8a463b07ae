"""Build llama.cpp's own tools from the same pinned source, for benchmarks.

The tools are built in ``bench/.work`` (git-ignored), with ccache when
available, so a second run reuses them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from llama_native._llama_cpp_source import llama_cpp_dir

WORK = Path(__file__).resolve().parent / ".work"


def build_llama_tool(target: str) -> Path:
    """Configure (once) and build one llama.cpp tool target; return the binary path."""
    src = llama_cpp_dir()
    build = WORK / "llama.cpp-build"
    binary = build / "bin" / target
    configure = [
        "cmake", "-S", str(src), "-B", str(build), "-DCMAKE_BUILD_TYPE=Release",
        "-DBUILD_SHARED_LIBS=OFF", "-DLLAMA_BUILD_COMMON=ON", "-DLLAMA_BUILD_TOOLS=ON",
        "-DLLAMA_BUILD_TESTS=OFF", "-DLLAMA_BUILD_EXAMPLES=OFF", "-DLLAMA_BUILD_SERVER=OFF",
        "-DLLAMA_BUILD_APP=OFF", "-DLLAMA_OPENSSL=OFF",
    ]
    if shutil.which("ninja"):
        configure += ["-G", "Ninja"]
    if not (build / "CMakeCache.txt").exists():
        subprocess.run(configure, check=True, stdout=subprocess.DEVNULL)
    subprocess.run(
        ["cmake", "--build", str(build), "--target", target, "-j", str(os.cpu_count() or 2)],
        check=True, stdout=subprocess.DEVNULL,
    )
    if not binary.exists():
        raise FileNotFoundError(f"{binary} was not built")
    return binary
