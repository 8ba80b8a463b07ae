"""Programs written for llama-cpp-python run unchanged (but the import) on llama-native, with equal outputs.

See ``porting_programs.py``: every program in ``porting/`` runs under both
packages on SmolLM2 under greedy decoding; the outputs must be equal JSON.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from porting_programs import KNOWN, PROGRAMS, run_program


def _marks(path: Path) -> list[pytest.MarkDecorator]:
    reason = KNOWN.get(path.stem)
    return [pytest.mark.xfail(reason=reason, strict=True)] if reason else []


@pytest.fixture(scope="module", autouse=True)
def _smollm2() -> None:
    from llama_native.testing import smollm2_model_path

    if smollm2_model_path() is None:
        pytest.skip("SmolLM2 is not installed")


def test_there_are_at_least_15_programs() -> None:
    assert len(PROGRAMS) >= 15


@pytest.mark.parametrize("path", [pytest.param(p, id=p.stem, marks=_marks(p)) for p in PROGRAMS])
def test_program_ports_with_equal_output(path: Path) -> None:
    outcome = run_program(path)
    assert not outcome.lcp.startswith("ERROR"), f"llama-cpp-python itself fails: {outcome.lcp}"
    assert outcome.equal, f"{path.name}\n llama-cpp-python: {outcome.lcp}\n llama-native:     {outcome.ours}"
