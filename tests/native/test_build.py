"""The compiled runtime and the pinned llama.cpp source."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys

import pytest

from llama_native import llama_cpp_source, _native


def test_extension_is_compiled_module() -> None:
    assert _native.__file__.endswith((".so", ".pyd")), _native.__file__
    info = _native.system_info()
    assert "CPU" in info


@pytest.mark.skipif("LLAMA_CPP_DIR" in os.environ, reason="built from LLAMA_CPP_DIR, not from the pinned sdist")
def test_pinned_source_is_the_verified_sdist() -> None:
    path = llama_cpp_source.llama_cpp_dir(fetch=False)
    assert (path / ".llama-native-complete").read_text() == llama_cpp_source.PINNED_SHA256
    assert (path / "include" / "llama.h").exists()
    assert path.name.endswith(llama_cpp_source.PINNED_LLAMA_CPP_COMMIT)


def test_bad_llama_cpp_dir_is_refused(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("LLAMA_CPP_DIR", str(tmp_path))
    with pytest.raises(RuntimeError, match="include/llama.h"):
        llama_cpp_source.llama_cpp_dir()


def test_source_script_runs_standalone() -> None:
    script = llama_cpp_source.__file__
    out = subprocess.run([sys.executable, script, "--print-dir"], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    assert os.path.exists(os.path.join(out.stdout.strip(), "include", "llama.h"))


def test_package_is_typed() -> None:
    pkg = importlib.import_module("llama_native")
    assert os.path.exists(os.path.join(os.path.dirname(pkg.__file__), "py.typed"))
