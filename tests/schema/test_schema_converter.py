"""JSON Schema -> GBNF, checked with llama.cpp's own grammar engine (no model needed)."""

from __future__ import annotations

import itertools
import json
import re
from typing import List, Optional

import pytest
from pydantic import BaseModel, Field
from typing_extensions import TypedDict

from llama_native import LlamaGrammar, UnsupportedSchemaError, json_schema_to_gbnf
from llama_native.schema import compile_json_schema


#: our converter's own language (``json_schema_to_gbnf``'s defaults), not from_json_schema's llama-cpp-python ones
CONVERTER_DEFAULTS = {"whitespace": "free", "key_order": "schema", "additional_properties": None}


def accepts(schema, text: str, **kwargs) -> bool:
    return LlamaGrammar.from_json_schema(schema, **{**CONVERTER_DEFAULTS, **kwargs}).accepts(text)


def dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


PERSON = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}, "email": {"type": "string"}},
    "required": ["name", "age"],
    "additionalProperties": False,
}


def test_keys_follow_schema_order_not_alphabetical() -> None:
    assert accepts(PERSON, '{"name":"a","age":1}')
    assert not accepts(PERSON, '{"age":1,"name":"a"}')
    assert accepts(PERSON, '{"name":"a","age":1,"email":"x"}')
    assert not accepts(PERSON, '{"name":"a","email":"x","age":1}')


def test_prop_order_overrides_also_nested() -> None:
    schema = {"type": "object", "properties": {"b": {"type": "integer"}, "a": PERSON}, "required": ["b", "a"], "additionalProperties": False}
    order = ["a", "age", "name"]
    assert accepts(schema, '{"a":{"age":1,"name":"x"},"b":2}', prop_order=order)
    assert not accepts(schema, '{"b":2,"a":{"name":"x","age":1}}', prop_order=order)


def test_every_subset_of_optional_properties_in_order() -> None:
    props = {k: {"type": "integer"} for k in "abcd"}
    schema = {"type": "object", "properties": props, "required": ["b"], "additionalProperties": False}
    for r in range(5):
        for subset in itertools.combinations("abcd", r):
            text = dumps({k: 1 for k in subset})
            assert accepts(schema, text) == ("b" in subset), text


def test_additional_properties() -> None:
    base = {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]}
    assert accepts(base, '{"a":1,"zz":[1,{"q":null}]}')  # absent = allowed, as specified
    assert not accepts(base, '{"a":1,"a":2}')  # a declared key is not an "additional" one
    assert not accepts({**base, "additionalProperties": False}, '{"a":1,"zz":1}')
    typed = {**base, "additionalProperties": {"type": "string"}}
    assert accepts(typed, '{"a":1,"zz":"x"}') and not accepts(typed, '{"a":1,"zz":1}')


def test_python_types_allow_only_declared_keys() -> None:
    class Item(BaseModel):
        a: int

    assert accepts(Item, '{"a":1}') and not accepts(Item, '{"a":1,"b":2}')
    assert accepts(Item.model_json_schema(), '{"a":1,"b":2}')  # the dict itself follows the spec


def test_arrays() -> None:
    schema = {"type": "array", "items": {"type": "integer"}, "minItems": 1, "maxItems": 3}
    assert [accepts(schema, dumps(list(range(n)))) for n in range(5)] == [False, True, True, True, False]
    tup = {"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}], "items": False}
    assert accepts(tup, '["a",1]') and accepts(tup, '["a"]') and not accepts(tup, '["a",1,2]') and not accepts(tup, "[1]")
    assert accepts({"type": "array"}, '[1,"a",{},[],null]')


def test_strings_length_pattern_formats() -> None:
    bounded = {"type": "string", "minLength": 2, "maxLength": 3}
    assert [accepts(bounded, dumps("x" * n)) for n in range(5)] == [False, False, True, True, False]
    assert accepts(bounded, dumps('"\\')) and accepts(bounded, dumps("日本"))
    pat = {"type": "string", "pattern": "^[A-Z]{2}-[0-9]+$"}
    assert accepts(pat, '"AB-12"') and not accepts(pat, '"ab-12"') and not accepts(pat, '"AB-"')
    assert accepts({"type": "string", "pattern": "ab"}, '"xxabyy"')  # unanchored, as specified
    cases = {
        "date": ("2024-02-29", "2024-13-01"),
        "time": ("12:30:00Z", "25:00:00Z"),
        "date-time": ("2024-01-01T00:00:00+02:00", "2024-01-01 00:00"),
        "uuid": ("123e4567-e89b-12d3-a456-426614174000", "123e4567"),
        "email": ("a.b@example.com", "no-at-sign"),
        "uri": ("https://example.com/x?y=1", "not a uri"),
        "ipv4": ("192.168.0.255", "256.1.1.1"),
        "hostname": ("api.example.com", "-bad-.com"),
    }
    for fmt, (good, bad) in cases.items():
        schema = {"type": "string", "format": fmt}
        assert accepts(schema, dumps(good)), fmt
        assert not accepts(schema, dumps(bad)), fmt


def test_no_raw_control_characters_in_strings() -> None:
    assert not accepts({"type": "string"}, '"a\nb"')
    assert accepts({"type": "string"}, '"a\\nb"')
    assert not accepts({"type": "string", "pattern": "^.*$"}, '"a\tb"')


@pytest.mark.parametrize(
    "schema, inside, outside",
    [
        ({"type": "integer", "minimum": -5, "maximum": 12}, [-5, 0, 7, 12], [-6, 13, 100]),
        ({"type": "integer", "exclusiveMinimum": 0}, [1, 99, 12345], [0, -1]),
        ({"type": "integer", "maximum": -10}, [-10, -999], [-9, 0, 5]),
        ({"type": "integer", "minimum": 100}, [100, 101, 5000], [99, 0, -100]),
    ],
)
def test_integer_bounds(schema, inside, outside) -> None:
    for v in inside:
        assert accepts(schema, str(v)), v
    for v in outside:
        assert not accepts(schema, str(v)), v


def test_numbers() -> None:
    assert all(accepts({"type": "number"}, t) for t in ["0", "-1.5", "3e10", "1e-05", "2.5E+3"])
    assert not any(accepts({"type": "number"}, t) for t in ["01", "1.", ".5", "+1", "NaN"])
    assert not accepts({"type": "number", "minimum": 0}, "-1")
    assert not accepts({"type": "integer"}, "1.5")


def test_enum_const_union_types_nullable() -> None:
    assert accepts({"enum": ["a", 1, None, [1]]}, "[1]") and not accepts({"enum": ["a"]}, '"b"')
    assert accepts({"const": {"x": 1}}, '{"x":1}') and not accepts({"const": {"x": 1}}, '{"x":2}')
    union = {"anyOf": [{"type": "integer"}, {"type": "string", "maxLength": 1}]}
    assert accepts(union, "5") and accepts(union, '"a"') and not accepts(union, '"ab"')
    assert accepts({"type": ["integer", "null"]}, "null") and not accepts({"type": ["integer", "null"]}, '"x"')
    assert accepts({"type": "string", "nullable": True}, "null")
    assert accepts({}, '{"any":[true,1.5,"x"]}') and accepts(True, "null")


def test_all_of_is_merged() -> None:
    schema = {
        "allOf": [
            {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]},
            {"properties": {"b": {"type": "string"}}, "required": ["b"], "additionalProperties": False},
        ]
    }
    assert accepts(schema, '{"a":1,"b":"x"}') and not accepts(schema, '{"a":1}')


def test_refs_defs_definitions_and_recursion() -> None:
    linked = {
        "$defs": {"Node": {"type": "object", "properties": {"v": {"type": "integer"}, "next": {"anyOf": [{"$ref": "#/$defs/Node"}, {"type": "null"}]}}, "required": ["v", "next"], "additionalProperties": False}},
        "$ref": "#/$defs/Node",
    }
    assert accepts(linked, '{"v":1,"next":{"v":2,"next":{"v":3,"next":null}}}')
    assert not accepts(linked, '{"v":1,"next":{"v":"x","next":null}}')
    draft7 = {"definitions": {"a": {"$ref": "#/definitions/b"}, "b": {"type": "boolean"}}, "type": "array", "items": {"$ref": "#/definitions/a"}}
    assert accepts(draft7, "[true,false]") and not accepts(draft7, "[1]")


def test_pydantic_typeddict_and_json_string_inputs() -> None:
    class Pet(BaseModel):
        name: str
        legs: int = Field(ge=0, le=8)

    class Owner(BaseModel):
        owner: str
        pets: List[Pet]
        nickname: Optional[str] = None

    assert accepts(Owner, '{"owner":"a","pets":[{"name":"x","legs":4}]}')
    assert not accepts(Owner, '{"owner":"a","pets":[{"name":"x","legs":9}]}')

    class Point(TypedDict):
        x: int
        y: int

    assert accepts(Point, '{"x":1,"y":2}') and not accepts(Point, '{"y":2,"x":1}')
    assert accepts(json.dumps(PERSON), '{"name":"a","age":1}')


def test_whitespace_modes() -> None:
    pretty = '{\n  "name": "a",\n  "age": 1\n}'
    spaced = '{"name": "a", "age": 1}'
    tabs = '{\n\t"name": "a",\n\t"age": 1\n}'
    compact = '{"name":"a","age":1}'
    # free (the default): what real models write, as llama.cpp's converter allows
    for text in (pretty, spaced, tabs, compact, '{\n\n  "name": "a", "age": 1}'):
        assert accepts(PERSON, text), text
    # bounded: never an unbounded run, never whitespace between a key and its colon, none after the document
    for text in ('{' + " " * 2 + '"name": "a", "age": 1}', '{\n' + " " * 21 + '"name": "a", "age": 1}',
                 '{\n\n\n"name": "a", "age": 1}', '{"name" : "a", "age": 1}', compact + " ", compact + "\n"):
        assert not accepts(PERSON, text), text
    assert accepts(PERSON, compact, whitespace="compact") and not accepts(PERSON, spaced, whitespace="compact")
    assert accepts(PERSON, pretty, whitespace="pretty") and not accepts(PERSON, tabs, whitespace="pretty")
    # the top-level value has no trailing whitespace whatever its kind
    for schema, text in (({"type": "string"}, '"a"'), ({"enum": [1, 2]}, "2"), ({"anyOf": [{"type": "integer"}, {"type": "null"}]}, "null"),
                         ({"type": "array", "items": {"type": "integer"}}, "[1, 2]")):
        assert accepts(schema, text) and not accepts(schema, text + " "), (schema, text)
    with pytest.raises(ValueError, match="whitespace"):
        json_schema_to_gbnf(PERSON, whitespace="loose")


@pytest.mark.parametrize(
    "schema, keyword, pointer",
    [
        ({"type": "array", "uniqueItems": True}, "uniqueItems", "/uniqueItems"),
        ({"type": "object", "properties": {"n": {"type": "integer", "multipleOf": 3}}}, "multipleOf", "/properties/n/multipleOf"),
        ({"not": {"type": "string"}}, "not", "/not"),
        ({"if": {"type": "string"}, "then": {"maxLength": 2}}, "if", "/if"),
        ({"type": "string", "pattern": "^(?=a)"}, "pattern", "/pattern"),
    ],
)
def test_strict_mode_names_keyword_and_pointer(schema, keyword, pointer) -> None:
    with pytest.raises(UnsupportedSchemaError) as info:
        json_schema_to_gbnf(schema, strict=True)
    assert info.value.keyword == keyword and info.value.pointer == pointer
    assert keyword in str(info.value) and pointer in str(info.value)
    relaxed = compile_json_schema(schema)  # non-strict: a superset, validated afterwards
    assert any(u.keyword == keyword for u in relaxed.unenforced)


def test_relaxed_keywords_are_caught_by_final_validation() -> None:
    compiled = compile_json_schema({"type": "array", "items": {"type": "integer"}, "uniqueItems": True})
    assert LlamaGrammar(compiled.gbnf).accepts("[1,1]")  # the grammar cannot see duplicates
    with pytest.raises(ValueError, match="non-unique|unique"):
        compiled.validate("[1,1]")
    assert compiled.validate("[1,2]") == [1, 2]


@pytest.mark.parametrize(
    "schema, fragment",
    [
        ({"$ref": "#/$defs/missing"}, "missing"),
        ({"$ref": "https://example.com/schema.json"}, "remote"),
        ({"type": "object", "properties": {"a": False}, "required": ["a"]}, "required"),
        ({"enum": []}, "enum"),
        ({"type": "integer", "minimum": 5, "maximum": 1}, "integer"),
        ({"type": "strin"}, "unknown type"),
        ("{not json", "not valid JSON"),
    ],
)
def test_invalid_schemas_raise_clear_errors(schema, fragment) -> None:
    with pytest.raises(ValueError, match=re.escape(fragment)):
        json_schema_to_gbnf(schema)


def test_grammar_accepts_without_a_model_matches_llama_cpp_parser() -> None:
    grammar = LlamaGrammar.from_json_schema(PERSON)
    assert "root ::=" in grammar.grammar
    LlamaGrammar.from_string(grammar.grammar)  # the text parses on its own


def test_an_optional_property_that_accepts_no_value_cannot_appear() -> None:
    schema = {
        "type": "object",
        "properties": {"a": {"type": "integer"}, "b": {"type": "object", "enum": ["x"]}},
        "required": ["a"],
        "additionalProperties": False,
    }
    assert accepts(schema, '{"a":1}')
    assert not accepts(schema, '{"a":1,"b":"x"}') and not accepts(schema, '{"a":1,"b":{}}')
    with pytest.raises(UnsupportedSchemaError, match="required property 'b'"):
        json_schema_to_gbnf({**schema, "required": ["a", "b"]})
