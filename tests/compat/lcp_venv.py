"""Run a program under llama-cpp-python 0.3.36 (its own venv: ``scripts/lcp_peer.sh``) and under llama-native, as subprocesses.

A program is written for llama-cpp-python (``import llama_cpp``); for
llama-native the same text runs with ``llama_cpp`` replaced by
``llama_native`` in its imports, as a user ports.  Both print what they
compute (JSON) on stdout.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

def _default_lcp_python() -> Path:
    """Where ``scripts/lcp_peer.sh`` (run by ``scripts/test.sh``) builds llama-cpp-python's venv."""
    from llama_native.llama_cpp_source import PINNED_VERSION, cache_dir

    return cache_dir() / f"lcp-venv-{PINNED_VERSION}" / "bin" / "python"


LCP_PYTHON = Path(os.environ.get("LLAMA_NATIVE_LCP_PYTHON") or _default_lcp_python())


def port(source: str) -> str:
    """The program with its imports changed from llama_cpp to llama_native (and nothing else)."""
    out = []
    for line in source.splitlines():
        stripped = line.lstrip()
        if stripped.startswith(("import llama_cpp", "from llama_cpp")):
            line = line.replace("llama_cpp", "llama_native", 1)
            if stripped.startswith("import llama_cpp") and " as " not in line and "." not in line.split("import", 1)[1]:
                line += " as llama_cpp"  # code then says llama_cpp.X: the module alias is the import change
        out.append(line)
    return "\n".join(out) + "\n"


def run(python: str | Path, source: str, timeout: float = 300) -> str:
    """Stdout of ``source`` run by ``python`` (the test fails with its stderr if it fails)."""
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    proc = subprocess.run([str(python), "-c", source], capture_output=True, text=True, timeout=timeout, env=env, cwd="/tmp")
    assert proc.returncode == 0, f"{python} failed:\n{proc.stderr[-4000:]}"
    return proc.stdout


def run_lcp(source: str, timeout: float = 300) -> str:
    """Stdout of ``source`` under llama-cpp-python (skips when its venv is absent)."""
    if not LCP_PYTHON.exists():
        pytest.skip(f"llama-cpp-python's venv is absent ({LCP_PYTHON}): run bash scripts/lcp_peer.sh, or set LLAMA_NATIVE_LCP_PYTHON")
    return run(LCP_PYTHON, source, timeout)


def run_ours(source: str, timeout: float = 300) -> str:
    """Stdout of ``source`` ported to llama_native, under this interpreter."""
    return run(sys.executable, port(source), timeout)


def model_for(kind: str) -> Path:
    """SmolLM2 (``"smollm2"``; skips when it is not installed) or the embedded micro model (``"micro"``)."""
    from llama_native import MICRO_MODEL_PATH
    from llama_native.testing import smollm2_model_path

    path = smollm2_model_path() if kind == "smollm2" else Path(MICRO_MODEL_PATH)
    if path is None:
        pytest.skip("SmolLM2 is not installed")
    return path


def run_both(kind: str, program: str) -> tuple[dict, dict]:
    """The JSON ``program`` prints under llama-cpp-python and under ours, with ``MODEL`` the :func:`model_for` ``kind``."""
    source = f"MODEL = {str(model_for(kind))!r}\n" + program
    return json.loads(run_lcp(source)), json.loads(run_ours(source))
