"""llguidance engine and jump-forward: same language as the GBNF engine, fewer decode calls.

Runs on every test model (synthetic vocabulary, real tokenizers, or the model
in $LLAMA_NATIVE_TEST_MODEL).  Each check holds whatever the weights:
completed outputs validate, jump-forward gives byte-identical text with no
more decode calls, and the engine that ran is the one asked for.
"""

from __future__ import annotations

import json
import re
from enum import Enum
from pathlib import Path
from typing import List

import jsonschema
import pytest
from pydantic import BaseModel, Field

from llama_native import Llama, LlamaGrammar, _llguidance
from llama_native.schema import SchemaValidationError

from helpers import MODEL_KINDS, model_path_for

pytestmark = pytest.mark.skipif(
    not _llguidance.available(), reason=f"llguidance is not installed: {_llguidance.unavailable_reason()}"
)


class Color(str, Enum):
    red = "red"
    green = "green"
    blue = "blue"


class Item(BaseModel):
    label: str = Field(max_length=8)
    color: Color


class Order(BaseModel):
    id: int = Field(ge=0, le=9999)
    items: List[Item] = Field(min_length=1, max_length=2)
    express: bool


PROMPT = "Order 17: one red pen and a blue cup, express.\nJSON:"


_LOADED: dict = {}


@pytest.fixture(scope="module", params=MODEL_KINDS)
def model(request: pytest.FixtureRequest) -> Path:
    return model_path_for(request.param)


def _shared(path: Path) -> Llama:
    """One model per file (llguidance builds its view of a vocabulary once per model)."""
    if path not in _LOADED:
        # schema grammars with free whitespace, the mode that runs on llguidance under "auto" (Llama's default,
        # llama-cpp-python's " "?, stays on GBNF as there); flash attention auto, where jump-forward is on by
        # default and gives the same output as token by token
        _LOADED[path] = Llama(str(path), n_ctx=512, json_whitespace="free", flash_attn=None)
    return _LOADED[path]


def _run(path: Path, seed: int, grammar_engine: str = "auto", jump_forward: bool = True, json_whitespace: str = "free") -> tuple:
    llm = _shared(path)
    llm.grammar_engine, llm.jump_forward = grammar_engine, jump_forward
    try:
        out = llm.create_completion(PROMPT, json_schema=Order, temperature=0.8, seed=seed, max_tokens=120,
                                    json_whitespace=json_whitespace)
        return out["choices"][0], dict(llm.last_generation_stats)
    finally:
        llm.grammar_engine, llm.jump_forward = "auto", True


def test_llguidance_runs_schemas_and_outputs_validate(model: Path) -> None:
    completed = 0
    for seed in range(4):
        choice, stats = _run(model, seed, grammar_engine="auto")
        assert stats["grammar_engine"] == "llguidance"
        if choice["finish_reason"] == "stop":
            completed += 1
            Order.model_validate_json(choice["text"])
            assert list(json.loads(choice["text"])) == ["id", "items", "express"]  # schema order
    assert completed >= 1


@pytest.mark.parametrize("whitespace", ["free", "compact"])
@pytest.mark.parametrize("seed", [0, 1])
def test_jump_forward_is_identical_with_fewer_decode_calls(model: Path, seed: int, whitespace: str) -> None:
    plain, plain_stats = _run(model, seed, grammar_engine="llguidance", jump_forward=False, json_whitespace=whitespace)
    jumped, jump_stats = _run(model, seed, grammar_engine="llguidance", jump_forward=True, json_whitespace=whitespace)
    assert jumped["text"] == plain["text"]
    assert jumped["finish_reason"] == plain["finish_reason"]
    assert jump_stats["generated_tokens"] == plain_stats["generated_tokens"]
    if whitespace == "compact":
        assert jump_stats["decode_calls"] < plain_stats["decode_calls"]  # at least `{"id":` is forced
    else:  # the model may put whitespace anywhere a key could start: what is forced depends on its choices
        assert jump_stats["decode_calls"] <= plain_stats["decode_calls"]


def test_jump_forward_defaults_on_where_flash_attention_may_run(model: Path) -> None:
    """Without flash attention ggml's CPU attention rounds by batch, so a batch of forced tokens could change a pick."""
    assert _shared(model).jump_forward is True  # flash_attn=None
    assert Llama(str(model), n_ctx=64).jump_forward is False  # one sequence: llama-cpp-python's flash_attn=False
    assert Llama(str(model), n_ctx=64, n_parallel=2).jump_forward is True  # flash attention auto there
    assert Llama(str(model), n_ctx=64, jump_forward=True).jump_forward is True  # asked for: kept


def test_prop_order_holds_on_llguidance(model: Path) -> None:
    llm = _shared(model)
    schema = {"type": "object", "properties": {"a": {"type": "boolean"}, "b": {"type": "boolean"}},
              "required": ["a", "b"], "additionalProperties": False}
    completed = 0
    for seed in range(3):
        out = llm.create_completion("JSON:", json_schema=schema, prop_order=["b", "a"], seed=seed, max_tokens=60)
        assert llm.last_generation_stats["grammar_engine"] == "llguidance"
        assert re.match(r'\{\s*"b":', out["choices"][0]["text"])
        if out["choices"][0]["finish_reason"] == "stop":
            completed += 1
            assert list(json.loads(out["choices"][0]["text"])) == ["b", "a"]
    assert completed >= 1


def test_gbnf_engine_can_be_forced_and_raw_grammars_stay_on_it(model: Path) -> None:
    llm = _shared(model)
    llm.grammar_engine = "gbnf"
    try:
        out = llm.create_completion("JSON:", json_schema=Order, seed=1, max_tokens=8)
        assert llm.last_generation_stats["grammar_engine"] == "gbnf"
        assert re.match(r'\{\s*"id":', out["choices"][0]["text"])
    finally:
        llm.grammar_engine = "auto"
    llm.create_completion("Digits:", grammar=LlamaGrammar.from_string("root ::= [0-9]{1,4}"), max_tokens=6)
    assert llm.last_generation_stats["grammar_engine"] == "gbnf"


# From JSONSchemaBench's Github_easy: its grammar (the key exclusions of three
# nested open objects) nests deeper than llguidance accepts.
NESTED = {
    "type": "array", "minItems": 1,
    "items": {
        "type": "object", "required": ["url", "type", "trackedPackages"],
        "properties": {
            "trackedPackages": {"type": "array", "items": {
                "type": "object", "required": ["id", "name"],
                "properties": {"id": {"minLength": 1, "type": "string"}, "name": {"minLength": 1, "type": "string"}},
            }},
            "type": {"minLength": 1, "type": "string"},
            "url": {"type": "string"},
        },
    },
}


def test_grammar_llguidance_refuses_falls_back_to_gbnf() -> None:
    grammar = LlamaGrammar.from_json_schema(NESTED)
    llm = Llama(str(model_path_for("synthetic")), n_ctx=256)
    completed = 0
    for seed in range(3):
        out = llm.create_completion("JSON:", grammar=grammar, seed=seed, max_tokens=120)
        assert llm.last_generation_stats["grammar_engine"] == "gbnf"
        assert re.match(r'\[\s*\{\s*"', out["choices"][0]["text"])
        if out["choices"][0]["finish_reason"] == "stop":
            completed += 1
            jsonschema.validate(json.loads(out["choices"][0]["text"]), NESTED)
    llm.close()


def test_engine_name_is_checked() -> None:
    with pytest.raises(ValueError, match="grammar_engine must be one of"):
        Llama(str(model_path_for("synthetic")), n_ctx=64, grammar_engine="xgrammar")


@pytest.mark.parametrize("engine", ["auto", "llguidance"])
def test_schema_end_check_still_refuses_invalid_completions(engine: str) -> None:
    # `not` is only checked when the value completes.  "auto" leaves such
    # schemas on the GBNF engine; forced onto llguidance the check holds too.
    schema = {"type": "integer", "minimum": 0, "maximum": 9, "not": {"const": 3}}
    llm = Llama(str(model_path_for("synthetic")), n_ctx=128, grammar_engine=engine)
    outputs = []
    for seed in range(8):
        try:
            text = llm.create_completion("n:", json_schema=schema, seed=seed, max_tokens=4)["choices"][0]["text"]
        except SchemaValidationError:
            continue
        assert llm.last_generation_stats["grammar_engine"] == ("gbnf" if engine == "auto" else "llguidance")
        jsonschema.validate(json.loads(text), schema)
        outputs.append(text)
    assert outputs
    llm.close()
