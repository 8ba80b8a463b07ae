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

from helpers import REPO
from schema_evaluation import evaluate_file, load_records  # the harness lives in bench/ (on pytest's pythonpath)

SCHEMAS = Path(os.environ.get("LLAMA_NATIVE_SCHEMAS", REPO.parent / "shared" / "schemas"))
FILES = sorted(SCHEMAS.glob("*.jsonl")) if SCHEMAS.is_dir() else []


@pytest.mark.skipif(not FILES, reason=f"JSONSchemaBench data not found in {SCHEMAS} (set LLAMA_NATIVE_SCHEMAS)")
@pytest.mark.parametrize("path", FILES, ids=[f.stem for f in FILES])
def test_converter_on_jsonschemabench(path: Path) -> None:
    stats = evaluate_file(path)
    details = "\n".join(stats.failures[:10])
    assert stats.over_constraint == 0, details
    assert stats.under_constraint == 0, details
    assert stats.coverage >= 0.95, details


@pytest.mark.skipif(not FILES, reason=f"JSONSchemaBench data not found in {SCHEMAS} (set LLAMA_NATIVE_SCHEMAS)")
def test_sampled_outputs_of_handwritten_schemas_validate(llm) -> None:
    """Handwritten is built from the keywords the grammar only approximates: completed outputs still validate."""
    from llama_native import LlamaGrammar, SchemaValidationError

    completed = 0
    for record in load_records(SCHEMAS / "Handwritten.jsonl"):
        grammar = LlamaGrammar.from_json_schema(record["schema"])
        for seed in range(3):
            try:
                out = llm("JSON:", grammar=grammar, seed=seed, temperature=1.0, max_tokens=160)
            except SchemaValidationError:
                continue  # no valid ending was left: raised, never returned
            if out["choices"][0]["finish_reason"] == "stop":
                completed += 1
                assert grammar.json_schema.is_valid_text(out["choices"][0]["text"]), (record["id"], out)
    assert completed >= 10
