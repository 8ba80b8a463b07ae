"""Schema-guided generation on the test model: every completed output validates.

Semantic checks (the answer is right, not only well-formed) need a model
that understands language; they run when LLAMA_NATIVE_TEST_MODEL names one.
"""

from __future__ import annotations

import json
import re
from enum import Enum
from typing import List, Optional

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, Field

from llama_native import Llama, LlamaGrammar, SchemaValidationError, object_from_schema, schema_system_prompt
from helpers import ENV_MODEL

needs_real_model = pytest.mark.skipif(
    ENV_MODEL is None,
    reason="semantic check: needs a model that understands language (set LLAMA_NATIVE_TEST_MODEL)",
)


class GameResult(BaseModel):
    winner_team: str = Field(max_length=20)
    loser_team: str = Field(max_length=20)
    winner_score: int = Field(ge=0, le=300)
    loser_score: int = Field(ge=0, le=300)


GAME = "The Lakers beat the Celtics 110 to 98 on Sunday night."
SORTED = {
    "type": "object",
    "properties": {"numbers": {"type": "array", "items": {"type": "integer", "minimum": -99, "maximum": 99},
                               "maxItems": 6, "description": "the numbers from the text, sorted ascending"}},
    "required": ["numbers"],
    "additionalProperties": False,
}
PEOPLE = {
    "$defs": {
        "Person": {
            "type": "object",
            "properties": {
                "name": {"type": "string", "maxLength": 16, "description": "the person's name in UPPERCASE letters"},
                "age": {"type": "integer", "minimum": 0, "maximum": 130, "description": "age in years"},
            },
            "required": ["name", "age"],
            "additionalProperties": False,
        }
    },
    "type": "object",
    "properties": {"people": {"type": "array", "items": {"$ref": "#/$defs/Person"}, "maxItems": 3}},
    "required": ["people"],
    "additionalProperties": False,
}
TEXT_PEOPLE = "Jason is 30 years old. His sister Mia is 27."


def completed_outputs(llm: Llama, prompt: str, seeds: int = 6, **kwargs) -> List[str]:
    outs = []
    for seed in range(seeds):
        out = llm(prompt, seed=seed, temperature=1.0, max_tokens=kwargs.pop("max_tokens", 160), **kwargs)
        if out["choices"][0]["finish_reason"] == "stop":
            outs.append(out["choices"][0]["text"])
    return outs


def test_game_result_from_pydantic(llm: Llama) -> None:
    outs = completed_outputs(llm, f"{GAME}\nJSON:", json_schema=GameResult, schema_prompt=True)
    assert len(outs) >= 3
    for text in outs:
        result = GameResult.model_validate_json(text)
        assert list(json.loads(text)) == ["winner_team", "loser_team", "winner_score", "loser_score"]
        assert 0 <= result.winner_score <= 300


def test_sorted_numbers_are_valid(llm: Llama) -> None:
    outs = completed_outputs(llm, "Numbers: 5, -2, 17, 3\nJSON:", json_schema=SORTED)
    assert len(outs) >= 3
    for text in outs:
        jsonschema.validate(json.loads(text), SORTED)


def test_nested_people_via_refs(llm: Llama) -> None:
    outs = completed_outputs(llm, f"{TEXT_PEOPLE}\nJSON:", json_schema=PEOPLE, schema_prompt=True)
    assert len(outs) >= 3
    for text in outs:
        value = json.loads(text)
        jsonschema.validate(value, PEOPLE)
        assert all(list(p) == ["name", "age"] for p in value["people"])


def test_descriptions_reach_the_prompt() -> None:
    skeleton, keys = object_from_schema(PEOPLE, return_keys=True)
    assert skeleton == {"people": [{"name": "the person's name in UPPERCASE letters", "age": "age in years"}]}
    assert keys == ["people", "name", "age"]
    prompt = schema_system_prompt(PEOPLE)
    assert prompt.startswith("Generate JSON output in the following format: ")
    assert "UPPERCASE" in prompt


def test_schema_prompt_is_prepended(llm: Llama) -> None:
    plain = llm(TEXT_PEOPLE, json_schema=PEOPLE, max_tokens=1, seed=1)
    with_prompt = llm(TEXT_PEOPLE, json_schema=PEOPLE, schema_prompt=True, max_tokens=1, seed=1)
    extra = len(llm.tokenize((schema_system_prompt(PEOPLE) + "\n\n").encode(), add_bos=False))
    assert with_prompt["usage"]["prompt_tokens"] - plain["usage"]["prompt_tokens"] >= extra - 2


def test_prop_order_reorders_keys(llm: Llama) -> None:
    outs = completed_outputs(llm, "JSON:", json_schema=GameResult, prop_order=["loser_score", "winner_team"])
    assert len(outs) >= 3
    for text in outs:
        assert list(json.loads(text)) == ["loser_score", "winner_team", "loser_team", "winner_score"]


def test_streamed_structured_output_equals_non_streamed(llm: Llama) -> None:
    kwargs = dict(json_schema=GameResult, max_tokens=160, seed=3, temperature=1.0)
    full = llm("JSON:", **kwargs)["choices"][0]["text"]
    streamed = "".join(c["choices"][0]["text"] for c in llm("JSON:", stream=True, **kwargs))
    assert streamed == full


def test_truncated_structured_output_raises_instead_of_returning_invalid_json(llm: Llama) -> None:
    # a stop string cuts the JSON: the result would be invalid, so it is refused
    with pytest.raises(SchemaValidationError) as info:
        for seed in range(10):
            llm("JSON:", json_schema=GameResult, stop=['"loser_team"'], seed=seed, max_tokens=160)
    assert re.match(r'\{\s*"winner_team":', info.value.text)


def test_grammar_and_json_schema_are_exclusive(llm: Llama) -> None:
    with pytest.raises(ValueError, match="either grammar or json_schema"):
        llm("x", grammar='root ::= "a"', json_schema={"type": "string"})
    with pytest.raises(ValueError, match="schema_prompt"):
        llm("x", schema_prompt=True)


class Color(str, Enum):
    red = "red"
    green = "green"


class Inventory(BaseModel):
    owner: str = Field(max_length=10)
    colors: List[Color] = Field(max_length=3)
    note: Optional[str] = Field(default=None, max_length=10)


def test_enums_and_optionals(llm: Llama) -> None:
    outs = completed_outputs(llm, "JSON:", json_schema=Inventory)
    assert len(outs) >= 3
    for text in outs:
        Inventory.model_validate_json(text)


# ---- property-based: random schemas, every completed output validates -------

_leaf = st.one_of(
    st.builds(lambda lo, span: {"type": "integer", "minimum": lo, "maximum": lo + span},
              st.integers(-50, 50), st.integers(0, 100)),
    st.builds(lambda n: {"type": "string", "maxLength": n}, st.integers(0, 6)),
    st.sampled_from([
        {"type": "boolean"}, {"type": "null"}, {"type": "number", "minimum": 0},
        {"enum": ["a", "b", 3, None]}, {"const": "fixed"},
        {"type": "string", "format": "date"}, {"type": "string", "pattern": "^[a-z]{1,4}$"},
        {"type": "string", "format": "uuid"},
    ]),
)


def _object(children):
    return st.dictionaries(st.sampled_from(["a", "b", "c", "d"]), children, min_size=1, max_size=3).flatmap(
        lambda props: st.lists(st.sampled_from(sorted(props)), unique=True).map(
            lambda req: {"type": "object", "properties": props, "required": req, "additionalProperties": False}
        )
    )


_schemas = st.recursive(
    _leaf,
    lambda children: st.one_of(
        _object(children),
        st.builds(lambda item, n: {"type": "array", "items": item, "maxItems": n}, children, st.integers(0, 3)),
        st.builds(lambda a, b: {"anyOf": [a, b]}, children, children),
    ),
    max_leaves=6,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(schema=_schemas)
def test_every_completed_output_validates(llm: Llama, schema: dict) -> None:
    grammar = LlamaGrammar.from_json_schema(schema)
    for seed in range(2):
        out = llm("JSON:", grammar=grammar, seed=seed, temperature=1.0, max_tokens=200)
        if out["choices"][0]["finish_reason"] == "stop":
            jsonschema.validate(json.loads(out["choices"][0]["text"]), schema)


# ---- semantic checks on a real model ------------------------------------------

@needs_real_model
def test_semantic_game_result(llm: Llama) -> None:
    out = llm(f"{GAME}\nJSON:", json_schema=GameResult, schema_prompt=True, temperature=0, max_tokens=120)
    result = GameResult.model_validate_json(out["choices"][0]["text"])
    assert "Lakers" in result.winner_team and result.winner_score == 110 and result.loser_score == 98


@needs_real_model
def test_semantic_sorted_numbers(llm: Llama) -> None:
    out = llm("Sort these numbers ascending: 5, -2, 17, 3\nJSON:", json_schema=SORTED, schema_prompt=True, temperature=0, max_tokens=80)
    assert json.loads(out["choices"][0]["text"])["numbers"] == [-2, 3, 5, 17]


@needs_real_model
def test_semantic_uppercase_names_from_descriptions(llm: Llama) -> None:
    out = llm(f"{TEXT_PEOPLE}\nJSON:", json_schema=PEOPLE, schema_prompt=True, temperature=0, max_tokens=120)
    people = json.loads(out["choices"][0]["text"])["people"]
    assert {p["name"] for p in people} == {"JASON", "MIA"}
