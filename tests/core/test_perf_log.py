"""verbose=True: llama.cpp's load log plus a perf summary per call on stderr; verbose=False: nothing; progress lines."""

from __future__ import annotations

import logging

import pytest

from llama_native import Llama
from llama_native._logging import ProgressPrinter
from llama_native.download import PlainProgress
from llama_native.testing import synthetic_model_path


def test_verbose_prints_a_perf_summary_per_call(caplog: pytest.LogCaptureFixture) -> None:
    """(Through ``logging`` here, as pytest configures handlers; stderr when an application has none.)"""
    with caplog.at_level(logging.INFO, logger="llama_native"):
        llm = Llama(str(synthetic_model_path()), n_ctx=128, verbose=True)
        caplog.clear()
        out = llm.create_completion("a b c", max_tokens=3)
    lines = [r.getMessage() for r in caplog.records if r.name == "llama_native.perf"]
    assert all(line.startswith("llama_perf_context_print:") for line in lines)
    assert any("prompt eval time" in line for line in lines), lines
    eval_line = next(line for line in lines if " eval time" in line and "prompt" not in line)
    assert f"/ {out['usage']['completion_tokens']:5d} runs" in eval_line
    llm.close()


def test_quiet_when_not_verbose(capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="llama_native"):
        llm = Llama(str(synthetic_model_path()), n_ctx=128)
        llm.create_completion("a b c", max_tokens=3)
    assert capsys.readouterr().err == ""
    assert not [r for r in caplog.records if r.name in ("llama_native.perf", "llama_native.llama_cpp")]


def test_progress_without_a_terminal_is_plain_lines(capsys: pytest.CaptureFixture[str]) -> None:
    printer = ProgressPrinter("m.gguf", interactive=False)
    for i in range(101):
        printer(i / 100)
    err = capsys.readouterr().err
    assert "\r" not in err and err.splitlines() == [f"loading m.gguf: {p}%" for p in range(0, 101, 10)]
    bar = ProgressPrinter("m.gguf", interactive=True)
    bar(0.5)
    bar(1.0)
    drawn = capsys.readouterr().err
    assert drawn.startswith("\rloading m.gguf: [") and drawn.endswith("100%\n")
    download = PlainProgress("m.gguf", 1000, 0)
    for _ in range(10):
        download.update(100)
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 10 and lines[-1] == "downloading m.gguf: 0.0 of 0.0 MB (100%)"


def test_verbose_without_logging_config_writes_stderr_as_llama_cpp_python() -> None:
    import subprocess
    import sys

    script = (
        "from llama_native import Llama\n"
        "from llama_native.testing import synthetic_model_path\n"
        "Llama(str(synthetic_model_path()), n_ctx=128, verbose=True)('a b', max_tokens=2)\n"
        "Llama(str(synthetic_model_path()), n_ctx=128, verbose=False)('a b', max_tokens=2)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd="/")
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("llama_perf_context_print: prompt eval time") == 1  # the verbose one's call only
    assert "llama_model_loader" in done.stderr or "print_info" in done.stderr  # the load log
    assert "\r" not in done.stderr  # not a terminal: progress as plain lines
