"""``llama-native info`` (build, backends, CPU features, a model's facts) and ``llama-native bench`` (llama-bench's table)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from llama_native import Llama
from llama_native.__main__ import main
from llama_native.bench import markdown_table, run_bench
from llama_native.llama_cpp_source import PINNED_LLAMA_CPP_COMMIT
from llama_native.model_facts import model_facts, template_name
from llama_native.testing import synthetic_model_path


def test_info_reports_build_and_model(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(synthetic_model_path())
    assert main(["info", "--model", path, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["llama_cpp_commit"] == PINNED_LLAMA_CPP_COMMIT and report["version"]
    assert "CPU" in report["backends"] and report["build_features"]
    model = report["model"]
    llm = Llama(path, n_ctx=64)
    assert model["architecture"] == "llama" and model["parameters"] == llm._model.n_params
    assert model["context_length"] == llm.n_ctx_train() and model["quantization"]
    assert sum(model["buffer_types"].values()) > 0 and model["pooling_type"]
    assert main(["info", "--model", path]) == 0
    text = capsys.readouterr().out
    for label in ("llama-native   :", "backends       :", "build features :", "architecture   :", "quantization   :",
                  "chat template  :", "pooling type   :", "buffer type    :"):  # fmt: skip
        assert label in text, label
    assert main(["info", "--model", "/nonexistent.gguf"]) == 1


def test_model_facts_of_a_real_tokenizer_model(real_model_path: Path) -> None:
    facts = model_facts(Llama(str(real_model_path), n_ctx=64))
    assert facts["chat_template"] == "chatml"  # SmolLM2's template
    assert facts["context_length"] >= 2048
    assert template_name(None) == "none" and template_name("{{ messages }}") == "custom"


def test_bench_table_and_schema(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = run_bench(str(synthetic_model_path()), n_prompt=32, n_gen=8, repetitions=2,
                     schema={"type": "object", "properties": {"a": {"type": "integer"}}})  # fmt: skip
    assert [r.test for r in rows] == ["pp32", "tg8", "tg8+schema"]
    assert all(len(r.samples) == 2 and r.mean > 0 for r in rows)
    assert rows[0].tokens == [32, 32]  # the whole prompt evaluated each time: no cache reuse
    assert rows[1].tokens == [8, 8]  # the end of generation banned: every token made
    table = markdown_table(rows).splitlines()
    assert table[0].startswith("| model") and table[0].endswith("t/s |") and len(table) == 5
    assert " ± " in table[2]
    schema = tmp_path / "s.json"
    schema.write_text('{"type": "object"}')
    assert main(["bench", "-m", str(synthetic_model_path()), "-p", "16", "-n", "4", "-r", "1",
                 "--schema", str(schema)]) == 0  # fmt: skip
    assert "tg4+schema" in capsys.readouterr().out
    with pytest.raises(ValueError, match="repetitions"):
        run_bench(str(synthetic_model_path()), repetitions=0)
