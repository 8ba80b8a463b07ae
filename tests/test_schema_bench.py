"""The converter on JSONSchemaBench (../shared/schemas): no valid instance rejected.

Each valid instance, serialized as the grammar emits it, must be accepted by
llama.cpp's grammar engine (over-constraint 0); no invalid instance may pass
both the grammar and the final validation (under-constraint 0); at least 95%
of each file's schemas convert.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from llama_native.schema.evaluate import evaluate_file

SCHEMAS = Path(os.environ.get("LLAMA_NATIVE_SCHEMAS", Path(__file__).resolve().parents[2] / "shared" / "schemas"))
FILES = sorted(SCHEMAS.glob("*.jsonl")) if SCHEMAS.is_dir() else []


@pytest.mark.skipif(not FILES, reason=f"JSONSchemaBench data not found in {SCHEMAS} (set LLAMA_NATIVE_SCHEMAS)")
@pytest.mark.parametrize("path", FILES, ids=[f.stem for f in FILES])
def test_converter_on_jsonschemabench(path: Path) -> None:
    stats = evaluate_file(path)
    details = "\n".join(stats.failures[:10])
    assert stats.over_constraint == 0, details
    assert stats.under_constraint == 0, details
    assert stats.coverage >= 0.95, details
