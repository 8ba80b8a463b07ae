"""What this build of llama.cpp can do on this machine: CPU features, devices, buffer types, AMX.

:func:`system_info` gathers, in one report (also ``llama-native info``):

- the CPU features ggml was **compiled** for (llama.cpp's ``llama_print_system_info``,
  which lists only what the build holds: ``AVX2``, ``AVX512``, ``REPACK``, ``AMX_INT8`` ...);
- the features the **host** CPU has (``/proc/cpuinfo`` on Linux);
- ggml's devices (CPU, and GPUs in a GPU build);
- for a loaded model, the buffer types its weights live in (``CPU``, ``CPU_REPACK``,
  ``AMX``, ``CUDA0`` ...) and whether ggml's AMX kernels are in use.

Why AMX is reported: ggml's AMX kernel crashes on quantized models (llama.cpp issue
20824), so llama-native builds ggml without it unless ``-DLLAMA_NATIVE_AMX=ON`` is given,
and warns (:func:`warn_if_amx_in_use`) when a model does land in the AMX buffer type.

Example::

    >>> from llama_native import Llama, system_info
    >>> from llama_native.testing import synthetic_model_path
    >>> info = system_info(Llama(str(synthetic_model_path()), n_ctx=64))
    >>> info.amx_in_use, "CPU" in info.devices[0][0]
    (False, True)
"""

from __future__ import annotations

import os
import platform
import warnings
from dataclasses import dataclass, field
from typing import Any

from . import _native
from ._cpu_check import host_flags

AMX_ISSUE = "llama.cpp issue 20824 (ggml_backend_amx_mul_mat crashes on quantized models)"

# host CPU flags (as /proc/cpuinfo spells them) that ggml's x86 kernels use
_X86_FLAGS = (
    "sse4_2", "avx", "f16c", "fma", "bmi2", "avx2", "avx_vnni", "avx512f", "avx512bw", "avx512vl",
    "avx512vbmi", "avx512_vnni", "avx512_bf16", "amx_tile", "amx_int8", "amx_bf16",
)  # fmt: skip


def build_features() -> dict[str, str]:
    """The features llama.cpp's backends report for this build, ``{"AVX2": "1", "REPACK": "1", ...}``.

    For the CPU backend these are the instruction sets ggml was compiled for (its
    ``ggml_cpu_has_*``), so ``"AMX_INT8" in build_features()`` is True only in a
    build whose ggml holds the AMX kernels.
    """
    features: dict[str, str] = {}
    for part in _native.system_info().split("|"):
        name, sep, value = part.partition("=")
        name = name.split(":")[-1].strip()
        if sep and name:
            features[name] = value.strip()
    return features


def host_cpu() -> tuple[str, list[str]]:
    """The host CPU's model name and its x86 SIMD/AMX flags (``/proc/cpuinfo``; empty where it is not there)."""
    name = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as handle:
            for line in handle:
                key, _, value = line.partition(":")
                if key.strip() == "model name":
                    name = value.strip()
                    break
    except OSError:
        pass
    flags = host_flags() or set()
    return name, [flag for flag in _X86_FLAGS if flag in flags]


def build_facts() -> dict[str, Any]:
    """What CMake recorded about this build (compiler, ``GGML_NATIVE``, AMX opt-in, ggml-cpu's flags)."""
    try:
        from . import _build_info
    except ImportError:  # pragma: no cover - a source tree without a build
        return {}
    return {key: value for key, value in vars(_build_info).items() if key.isupper()}


@dataclass
class SystemInfo:
    """The report :func:`system_info` returns; ``str(info)`` is what ``llama-native info`` prints."""

    cpu: str
    host_flags: list[str]
    build_features: dict[str, str]
    build: dict[str, Any]
    devices: list[tuple[str, str, str]]
    model_path: str | None = None
    buffer_types: dict[str, int] = field(default_factory=dict)
    version: str = ""
    llama_cpp_commit: str = ""
    backends: list[str] = field(default_factory=list)
    model: dict[str, Any] = field(default_factory=dict)  # model_facts.model_facts of the loaded model

    @property
    def host_has_amx(self) -> bool:
        """Whether the host CPU has AMX-INT8 (Sapphire Rapids and later Xeons)."""
        return "amx_int8" in self.host_flags

    @property
    def amx_built(self) -> bool:
        """Whether this build holds ggml's AMX kernels (only with ``-DLLAMA_NATIVE_AMX=ON``)."""
        return "AMX_INT8" in self.build_features

    @property
    def amx_in_use(self) -> bool:
        """Whether the loaded model's weights sit in ggml's AMX buffer type."""
        return self.buffer_types.get("AMX", 0) > 0

    def as_dict(self) -> dict[str, Any]:
        """The report as plain data (JSON-serialisable)."""
        return {
            "cpu": self.cpu,
            "host_flags": self.host_flags,
            "host_has_amx": self.host_has_amx,
            "build_features": self.build_features,
            "amx_built": self.amx_built,
            "build": self.build,
            "devices": [list(device) for device in self.devices],
            "model_path": self.model_path,
            "buffer_types": self.buffer_types,
            "amx_in_use": self.amx_in_use,
            "version": self.version,
            "llama_cpp_commit": self.llama_cpp_commit,
            "backends": self.backends,
            "model": self.model,
        }

    def __str__(self) -> str:
        def mib(size: int) -> str:
            return f"{size / 2**20:.2f} MiB"

        lines = [
            f"llama-native   : {self.version or '?'} (llama.cpp {self.llama_cpp_commit or '?'})",
            f"backends       : {', '.join(self.backends) or '(none)'}",
            f"cpu            : {self.cpu}",
            f"host features  : {' '.join(self.host_flags) or '(unknown)'}",
            f"build features : {' '.join(k if v == '1' else f'{k}={v}' for k, v in self.build_features.items())}",
            f"build          : GGML_NATIVE={self.build.get('GGML_NATIVE', '?')}, "
            f"LLAMA_NATIVE_AMX={self.build.get('AMX_OPT_IN', '?')}, compiler {self.build.get('CXX_COMPILER', '?')}",
            f"cpu flags      : {' '.join(self.build.get('GGML_CPU_COMPILE_OPTIONS', [])) or '(default)'}",
            f"AMX            : host {'yes' if self.host_has_amx else 'no'}, build {'yes' if self.amx_built else 'no'}"
            + (f", model {'yes' if self.amx_in_use else 'no'}" if self.model_path else ""),
        ]
        lines += [f"device         : {name} ({kind}): {description}" for name, description, kind in self.devices]
        if self.model:
            from .model_facts import format_facts

            lines += format_facts(self.model)
        elif self.model_path:
            lines.append(f"model          : {self.model_path}")
            lines += [f"buffer type    : {name} {mib(size)}" for name, size in sorted(self.buffer_types.items())]
        return "\n".join(lines)


def system_info(model: Any = None) -> SystemInfo:
    """CPU features (built for, and of the host), devices and, for a loaded ``Llama``, its buffer types.

    Args:
        model: a loaded :class:`~llama_native.Llama` (optional) whose weights' buffer types to report.

    Example::

        >>> from llama_native import system_info
        >>> info = system_info()
        >>> info.amx_built  # the default build leaves ggml's crashing AMX kernels out
        False
    """
    cpu, flags = host_cpu()
    info = SystemInfo(
        cpu=cpu,
        host_flags=flags,
        build_features=build_features(),
        build=build_facts(),
        devices=[(name, description, kind) for name, description, kind in _native.devices()],
    )
    from importlib.metadata import PackageNotFoundError, version

    from .llama_cpp_source import PINNED_LLAMA_CPP_COMMIT

    try:
        info.version = version("llama-native")
    except PackageNotFoundError:  # pragma: no cover - a source tree that was never installed
        info.version = ""
    info.llama_cpp_commit = PINNED_LLAMA_CPP_COMMIT
    info.backends = backends()
    if model is not None:
        from .model_facts import model_facts

        info.model_path = model.model_path
        info.buffer_types = dict(model.buffer_types)
        info.model = model_facts(model)
    return info


def backends() -> list[str]:
    """The ggml backends in this build (``CPU``, ``CUDA`` ...): those of llama.cpp's system line, then the devices'.

    Example::

        >>> "CPU" in backends()
        True
    """
    found = [part.split(":")[0].strip() for part in _native.system_info().split("|") if ":" in part]
    for name, _, _ in _native.devices():
        base = name.rstrip("0123456789")
        if base not in found:
            found.append(base)
    return found


def warn_if_amx_in_use(buffer_types: dict[str, int], model_path: str) -> None:
    """Warn (``RuntimeWarning``) when a model's weights were put in ggml's AMX buffer type."""
    if buffer_types.get("AMX", 0) > 0:
        warnings.warn(
            f"'{os.path.basename(model_path)}' runs on ggml's AMX kernels (a -DLLAMA_NATIVE_AMX=ON build): "
            f"quantized models may crash there, {AMX_ISSUE}; Llama(..., use_extra_bufts=False) avoids them",
            RuntimeWarning,
            stacklevel=3,
        )

