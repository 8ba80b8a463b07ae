"""Refuse to load the compiled runtime on an x86 CPU that lacks an instruction set it was built for.

ggml's CPU code is compiled for the build machine (``-march=native``) or for
a fixed baseline (``scripts/build-portable-wheel.sh``).  A wheel built on one
machine and installed on an older one would die with ``SIGILL`` at the first
matrix product; this check, run by ``llama_native/__init__.py`` before the
extension is imported (importing this module runs it), turns that into an ``ImportError`` that names the
missing instruction sets and how to build for this CPU.  CMake records what
the build needs (``_build_info.CPU_REQUIRED``: the ISA macros ggml-cpu's flags
predefine); the host's flags come from ``/proc/cpuinfo`` (Linux; elsewhere
nothing is checked).  ``LLAMA_NATIVE_SKIP_CPU_CHECK=1`` skips it.

Example::

    >>> from llama_native._cpu_check import missing_instruction_sets
    >>> missing_instruction_sets(["AVX2", "AVX512F"], {"avx2"})
    ['AVX512F']
"""

from __future__ import annotations

import os
from collections.abc import Iterable

# the compiler's ISA macro (without underscores) -> the flag /proc/cpuinfo shows for it
_CPUINFO_FLAG = {
    "SSE4_2": "sse4_2", "AVX": "avx", "AVX2": "avx2", "FMA": "fma", "F16C": "f16c", "BMI2": "bmi2",
    "AVXVNNI": "avx_vnni", "AVX512F": "avx512f", "AVX512BW": "avx512bw", "AVX512VL": "avx512vl",
    "AVX512DQ": "avx512dq", "AVX512CD": "avx512cd", "AVX512VBMI": "avx512vbmi", "AVX512VBMI2": "avx512_vbmi2",
    "AVX512VNNI": "avx512_vnni", "AVX512BF16": "avx512_bf16", "AVX512FP16": "avx512_fp16",
    "AVX512IFMA": "avx512ifma", "AVX512BITALG": "avx512_bitalg", "AVX512VPOPCNTDQ": "avx512_vpopcntdq",
    "AMX_TILE": "amx_tile", "AMX_INT8": "amx_int8", "AMX_BF16": "amx_bf16",
}  # fmt: skip


def host_flags() -> set[str] | None:
    """The CPU flags of ``/proc/cpuinfo`` (None where there is no such file)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as handle:
            for line in handle:
                key, _, value = line.partition(":")
                if key.strip() == "flags":
                    return set(value.split())
    except OSError:
        return None
    return None


def missing_instruction_sets(required: Iterable[str], flags: set[str]) -> list[str]:
    """The ``required`` ISA names (compiler macro spelling) whose /proc/cpuinfo flag ``flags`` lacks."""
    return [isa for isa in required if isa in _CPUINFO_FLAG and _CPUINFO_FLAG[isa] not in flags]


def check_cpu() -> None:
    """``ImportError`` naming what this build needs and the CPU lacks (see the module docstring)."""
    if os.environ.get("LLAMA_NATIVE_SKIP_CPU_CHECK") == "1":
        return
    try:
        from ._build_info import CPU_REQUIRED
    except ImportError:  # an older build, or a source tree: nothing recorded
        return
    flags = host_flags()
    if flags is None:
        return
    missing = missing_instruction_sets(CPU_REQUIRED, flags)
    if missing:
        raise ImportError(
            f"this llama-native build uses {', '.join(missing)}, which this CPU lacks (it was built on or for "
            "another machine); running it would crash with SIGILL. Reinstall from source on this machine "
            "(pip install --no-binary llama-native llama-native), or build a portable wheel with "
            "scripts/build-portable-wheel.sh (set LLAMA_NATIVE_SKIP_CPU_CHECK=1 to load it anyway)"
        )


check_cpu()
