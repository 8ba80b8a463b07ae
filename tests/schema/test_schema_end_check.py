"""Keywords the grammar only approximates are checked where the value would end.

A token that would complete a value failing the schema is refused like a
token the grammar rejects, so every completed output validates, whatever the
weights; when no valid ending is left, ``SchemaValidationError`` is raised.
"""

from __future__ import annotations

import json

import jsonschema
import pytest

from llama_native import Llama, LlamaGrammar, SchemaValidationError

SEEDS = range(12)


def _samples(llm: Llama, schema: dict, **kwargs) -> tuple[list[str], int]:
    """Completed texts over SEEDS, and how many seeds raised SchemaValidationError."""
    texts, dead_ends = [], 0
    for seed in SEEDS:
        try:
            out = llm("JSON:", json_schema=schema, seed=seed, temperature=1.0, max_tokens=60, **kwargs)
        except SchemaValidationError:
            dead_ends += 1
            continue
        if out["choices"][0]["finish_reason"] == "stop":
            texts.append(out["choices"][0]["text"])
    return texts, dead_ends


def test_refused_ending_forces_the_valid_alternative(llm: Llama) -> None:
    # the grammar allows 1 or 2 ("not" is not in the grammar); ending on 1 is refused
    schema = {"enum": [1, 2], "not": {"const": 1}}
    texts, dead_ends = _samples(llm, schema)
    assert dead_ends == 0
    assert texts == ["2"] * len(SEEDS)


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "integer", "minimum": 0, "maximum": 99, "multipleOf": 7},
        {"type": "array", "items": {"enum": [0, 1, 2]}, "uniqueItems": True, "maxItems": 3},
        {"type": "object", "properties": {"a": {"type": "boolean"}, "b": {"type": "null"}, "c": {"enum": [1]}},
         "additionalProperties": False, "minProperties": 2},
        {"oneOf": [{"type": "integer", "minimum": 0, "maximum": 9}, {"type": "integer", "minimum": 5, "maximum": 20}]},
    ],
    ids=["multipleOf", "uniqueItems", "minProperties", "oneOf"],
)
def test_completed_outputs_validate_for_approximated_keywords(llm: Llama, schema: dict) -> None:
    grammar = LlamaGrammar.from_json_schema(schema)
    assert grammar.json_schema.needs_end_check  # the grammar alone is a superset here
    texts, _ = _samples(llm, schema)
    assert texts, "no seed completed"
    for text in texts:
        jsonschema.validate(json.loads(text), schema)


def test_grammar_objects_from_schemas_get_the_check_too(llm: Llama) -> None:
    grammar = LlamaGrammar.from_json_schema({"enum": [3, 4], "not": {"const": 4}})
    for seed in range(6):
        out = llm("JSON:", grammar=grammar, seed=seed, temperature=1.0, max_tokens=10)
        assert out["choices"][0]["text"] == "3"


def test_no_valid_ending_raises_instead_of_returning_invalid_json(llm: Llama) -> None:
    schema = {"type": "integer", "minimum": 0, "maximum": 0, "not": {"const": 0}}
    with pytest.raises(SchemaValidationError, match="can no longer become valid"):
        llm("JSON:", json_schema=schema, max_tokens=10)
    with pytest.raises(SchemaValidationError, match="can no longer become valid"):
        list(llm("JSON:", json_schema=schema, max_tokens=10, stream=True))
    # the context is free again afterwards
    assert llm("JSON:", json_schema={"const": 3}, max_tokens=10)["choices"][0]["text"] == "3"


def test_streaming_equals_non_streaming_under_the_check(llm: Llama) -> None:
    schema = {"type": "array", "items": {"enum": [0, 1, 2]}, "uniqueItems": True, "maxItems": 3}
    for seed in range(4):
        kwargs = dict(json_schema=schema, seed=seed, temperature=1.0, max_tokens=40)
        try:
            full = llm("JSON:", **kwargs)["choices"][0]["text"]
        except SchemaValidationError:
            with pytest.raises(SchemaValidationError):
                list(llm("JSON:", stream=True, **kwargs))
            continue
        streamed = "".join(c["choices"][0]["text"] for c in llm("JSON:", stream=True, **kwargs))
        assert streamed == full
