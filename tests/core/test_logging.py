"""llama.cpp's log goes to Python logging, silent unless verbose; load progress."""

from __future__ import annotations

import logging

import pytest

from llama_native import Llama, ModelLoadError


def test_quiet_by_default(model_path, caplog) -> None:
    with caplog.at_level(logging.DEBUG, logger="llama_native"):
        Llama(str(model_path), n_ctx=256)("hi", max_tokens=2)
    assert not [r for r in caplog.records if r.name == "llama_native.llama_cpp"]


def test_verbose_forwards_llama_cpp_lines(model_path, caplog, capsys) -> None:
    with caplog.at_level(logging.INFO, logger="llama_native"):
        llm = Llama(str(model_path), n_ctx=256, verbose=True)
        llm.close()
    lines = [r.getMessage() for r in caplog.records if r.name == "llama_native.llama_cpp"]
    assert any("llama_model_loader" in line or "print_info" in line for line in lines), lines[:5]
    assert "loading" in capsys.readouterr().err  # progress shown when verbose


def test_progress_callback_sees_completion(model_path) -> None:
    seen: list = []
    Llama(str(model_path), n_ctx=256, progress_callback=lambda p: seen.append(p) or True)
    assert seen and seen[-1] == pytest.approx(1.0)
    assert seen == sorted(seen)


def test_progress_callback_can_abort(model_path) -> None:
    with pytest.raises(ModelLoadError, match="failed to load"):
        Llama(str(model_path), n_ctx=256, progress_callback=lambda p: False)


def test_progress_callback_exception_propagates(model_path) -> None:
    def boom(progress: float) -> bool:
        raise KeyError("from the callback")

    with pytest.raises(KeyError, match="from the callback"):
        Llama(str(model_path), n_ctx=256, progress_callback=boom)
