"""No crash on the CPUs users rent: ggml's AMX kernels stay out of the default build (issue 31).

On a CPU with Intel AMX, a ``-march=native`` build of ggml repacks quantized
weights into its AMX buffer type, whose kernel crashes (llama.cpp issue 20824).
These tests check, on any machine, that the default build cannot reach AMX
(from the build's own feature list, and by replaying ggml-cpu's recorded
compile flags for a Sapphire Rapids target), and that quantized models
written by llama.cpp's own quantizer, and SmolLM2, complete a 64-token prompt
in a child process (a crash there fails the test instead of killing the suite),
with the CPU repacking that speeds up Q4_0 still in place.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import warnings

import pytest

from llama_native import Llama, system_info
from llama_native.system import build_facts, build_features, host_cpu, warn_if_amx_in_use
from llama_native.testing import QUANT_TYPES, quantized_model_path

BUILD = build_facts()
AMX_OPT_IN = BUILD.get("AMX_OPT_IN") == "ON"
HOST_FLAGS = host_cpu()[1]


@pytest.mark.skipif(AMX_OPT_IN, reason="this copy was built with -DLLAMA_NATIVE_AMX=ON on purpose")
def test_default_build_has_no_amx_kernels() -> None:
    features = build_features()
    assert "CPU" in _native_system_info()
    assert "AMX_INT8" not in features, features
    assert not system_info().amx_built


def _native_system_info() -> str:
    from llama_native import _native

    return _native.system_info()


def _predefined_macros(compiler: str, options: list[str]) -> str:
    out = subprocess.run(
        [compiler, *options, "-dM", "-E", "-x", "c++", os.devnull], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    return out.stdout


@pytest.mark.skipif(AMX_OPT_IN, reason="this copy was built with -DLLAMA_NATIVE_AMX=ON on purpose")
@pytest.mark.skipif(BUILD.get("SYSTEM_PROCESSOR") not in ("x86_64", "AMD64"), reason="AMX is an x86-64 extension")
def test_ggml_cpu_flags_switch_amx_off_even_on_an_amx_cpu() -> None:
    """ggml-cpu's recorded flags, on top of -march=sapphirerapids, leave __AMX_INT8__ undefined."""
    compiler = BUILD.get("CXX_COMPILER", "")
    if not shutil.which(compiler):
        pytest.skip(f"the build's compiler {compiler!r} is not on this machine (a wheel installed elsewhere)")
    options = [o for o in BUILD["GGML_CPU_COMPILE_OPTIONS"] if o.startswith("-m") and o != "-march=native"]
    assert "-mno-amx-int8" in options, BUILD["GGML_CPU_COMPILE_OPTIONS"]
    # the check can fail: the same target without the build's switches has AMX
    assert "__AMX_INT8__" in _predefined_macros(compiler, ["-march=sapphirerapids"])
    assert "__AMX_INT8__" not in _predefined_macros(compiler, ["-march=sapphirerapids", *options])


CHILD = r"""
import json, sys
from llama_native import Llama
path, extra = sys.argv[1], json.loads(sys.argv[2])
llm = Llama(path, n_ctx=256, seed=1, **extra)
words = llm.tokenize(b" the quick brown fox jumps over the lazy dog and runs away" * 12, add_bos=False)
prompt = words[:64]
out = llm.create_completion(prompt, max_tokens=8, temperature=0)
print(json.dumps({"usage": out["usage"], "buffer_types": llm.buffer_types, "text": out["choices"][0]["text"]}))
"""


def _complete_in_child(path: str, **extra: object) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, path, json.dumps(extra)], capture_output=True, text=True, timeout=240,
        cwd=tempfile.gettempdir(),  # not the source tree, whose llama_native has no compiled extension
    )
    assert out.returncode == 0, f"exit {out.returncode} (a signal if negative) on {path}:\n{out.stderr[-3000:]}"
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("quant", ["Q4_0", "Q4_1", "Q8_0", "Q4_K_M"])
def test_quantized_model_completes_a_64_token_prompt(quant: str) -> None:
    result = _complete_in_child(str(quantized_model_path(quant)))
    assert result["usage"]["prompt_tokens"] == 64
    assert result["usage"]["completion_tokens"] >= 1
    assert "AMX" not in result["buffer_types"] or AMX_OPT_IN, result["buffer_types"]


def test_smollm2_completes_a_64_token_prompt(real_model_path) -> None:
    result = _complete_in_child(str(real_model_path))
    assert result["usage"]["prompt_tokens"] == 64
    assert result["usage"]["completion_tokens"] >= 1
    assert "AMX" not in result["buffer_types"] or AMX_OPT_IN, result["buffer_types"]


@pytest.mark.skipif("avx2" not in HOST_FLAGS, reason="ggml repacks Q4_0 for its AVX2/AVX-512 kernels only")
def test_q4_0_weights_are_still_repacked_and_use_extra_bufts_turns_it_off() -> None:
    path = str(quantized_model_path("Q4_0"))
    llm = Llama(path, n_ctx=64)
    assert llm.buffer_types.get("CPU_REPACK", 0) > 0, llm.buffer_types
    assert llm.model_params["use_extra_bufts"] is True
    plain = Llama(path, n_ctx=64, use_extra_bufts=False)
    assert "CPU_REPACK" not in plain.buffer_types, plain.buffer_types
    assert plain.model_params["use_extra_bufts"] is False
    assert _complete_in_child(path, use_extra_bufts=False)["usage"]["prompt_tokens"] == 64


def test_use_extra_bufts_must_be_a_bool(model_path) -> None:
    with pytest.raises(ValueError, match="use_extra_bufts must be True or False"):
        Llama(str(model_path), n_ctx=64, use_extra_bufts="no")  # type: ignore[arg-type]


def test_quantized_model_path_names_the_types() -> None:
    assert set(QUANT_TYPES) >= {"Q4_0", "Q4_1", "Q8_0", "Q4_K_M"}
    with pytest.raises(ValueError, match="quant must be one of"):
        quantized_model_path("Q3_XXL")


def test_amx_in_use_warns_naming_the_upstream_crash() -> None:
    with pytest.warns(RuntimeWarning, match="issue 20824.*use_extra_bufts=False"):
        warn_if_amx_in_use({"AMX": 1 << 20, "CPU": 10}, "/models/smollm2-q4_1.gguf")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warn_if_amx_in_use({"CPU": 10, "CPU_REPACK": 20}, "/models/smollm2-q4_1.gguf")


def test_system_info_reports_build_host_devices_and_buffer_types() -> None:
    llm = Llama(str(quantized_model_path("Q4_0")), n_ctx=64)
    info = system_info(llm)
    assert info.devices and info.devices[0][2] == "cpu"
    assert info.buffer_types == llm.buffer_types and sum(info.buffer_types.values()) > 0
    assert info.amx_in_use is False or AMX_OPT_IN
    assert info.host_has_amx == ("amx_int8" in HOST_FLAGS)
    report = str(info)
    assert "build features" in report and "AMX" in report and "buffer type" in report
    assert json.loads(json.dumps(info.as_dict()))["model_path"] == llm.model_path


def test_info_command_prints_the_report() -> None:
    path = str(quantized_model_path("Q8_0"))
    out = subprocess.run(
        [sys.executable, "-m", "llama_native", "info", "--model", path, "--json"],
        capture_output=True, text=True, timeout=120, cwd=tempfile.gettempdir(),
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["model_path"] == path and report["buffer_types"]
    if not AMX_OPT_IN:
        assert report["amx_built"] is False
    missing = subprocess.run(
        [sys.executable, "-m", "llama_native", "info", "--model", "/nonexistent.gguf"],
        capture_output=True, text=True, timeout=120, cwd=tempfile.gettempdir(),
    )  # fmt: skip
    assert missing.returncode == 1 and "model file not found" in missing.stderr


def test_a_cpu_without_the_builds_instruction_sets_gets_an_import_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from llama_native import _build_info, _cpu_check

    required = list(getattr(_build_info, "CPU_REQUIRED", []))
    if not required:
        pytest.skip("this build records no x86 instruction sets (not an x86-64 build)")
    host = _cpu_check.host_flags()
    assert host is not None and not _cpu_check.missing_instruction_sets(required, host)  # this host runs it
    older = host - {_cpu_check._CPUINFO_FLAG[required[-1]]}  # the same CPU less one instruction set
    monkeypatch.setattr(_cpu_check, "host_flags", lambda: older)
    with pytest.raises(ImportError, match=f"uses {required[-1]}, which this CPU lacks.*build-portable-wheel"):
        _cpu_check.check_cpu()
    monkeypatch.setenv("LLAMA_NATIVE_SKIP_CPU_CHECK", "1")
    _cpu_check.check_cpu()
