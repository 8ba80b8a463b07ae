"""What JSON Schema allows, the grammar accepts: key placement, key order, limits of llama.cpp's parser.

Each check asks llama.cpp's own grammar engine (``LlamaGrammar.accepts``)
and, where the grammar over-approximates, the end check
(``JsonSchemaGrammar.is_valid_text``), so a test fails if either refuses
a valid document or lets an invalid one through.
"""

from __future__ import annotations

import pytest

from llama_native import LlamaGrammar
from llama_native.schema import SchemaValidationError, compile_json_schema

PERSON = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}, "city": {"type": "string"}},
    "required": ["name", "age"],
}


def accepted(schema: object, text: str, **kwargs: object) -> bool:
    """Grammar and end check both accept ``text``."""
    compiled = compile_json_schema(schema, **kwargs)
    return LlamaGrammar(compiled.gbnf).accepts(text) and compiled.is_valid_text(text)


@pytest.mark.parametrize(
    "text",
    [
        '{"x":1,"name":"Ana","age":41}',  # extra key first
        '{"name":"Ana","x":1,"age":41}',  # between two declared keys
        '{"name":"Ana","age":41,"x":1,"city":"Porto","y":2}',  # between and after
        '{"name":"Ana","age":41}',
    ],
)
def test_extra_keys_anywhere_among_declared_keys_under_any_order(text: str) -> None:
    assert accepted(PERSON, text, key_order="any")


def test_by_default_extra_keys_follow_the_declared_ones() -> None:
    """llama.cpp's placement: a real model offered extra keys earlier writes its own (bench/README.md)."""
    assert accepted(PERSON, '{"name":"Ana","age":41,"city":"Porto","x":1,"y":2}')
    assert accepted(PERSON, '{"name":"Ana","age":41,"x":1}')  # an optional key skipped
    assert not accepted(PERSON, '{"x":1,"name":"Ana","age":41}')
    assert not accepted(PERSON, '{"name":"Ana","x":1,"age":41}')


def test_declared_keys_keep_schema_order_unless_any_order_is_asked() -> None:
    swapped = '{"age":41,"name":"Ana"}'
    assert not LlamaGrammar(compile_json_schema(PERSON).gbnf).accepts(swapped)
    assert accepted(PERSON, swapped, key_order="any")
    # under any order the end check still holds required keys and refuses a repeated key
    assert not accepted(PERSON, '{"age":41}', key_order="any")
    assert not accepted(PERSON, '{"age":41,"name":"Ana","age":42}', key_order="any")
    with pytest.raises(ValueError, match="key_order"):
        compile_json_schema(PERSON, key_order="sorted")


def test_a_repeated_key_never_validates() -> None:
    compiled = compile_json_schema({"type": "object"})
    with pytest.raises(SchemaValidationError, match="appears twice"):
        compiled.validate('{"a":1,"a":1}')


def test_const_and_enum_objects_in_any_key_order_with_whitespace() -> None:
    schema = {"enum": [{"a": 1, "b": [True, None]}, "x"]}
    for text in ('{"a":1,"b":[true,null]}', '{"b":[true,null],"a":1}', '{"b": [true, null], "a": 1}', '"x"'):
        assert accepted(schema, text), text
    for text in ('{"a":1,"a":1}', '{"a":1,"b":[null,true]}', '{"a":1}'):
        assert not accepted(schema, text), text


def test_ref_inside_enum_is_data() -> None:
    schema = {"$defs": {"s": {"type": "string"}}, "enum": [{"$ref": "#/$defs/s"}]}
    assert accepted(schema, '{"$ref":"#/$defs/s"}')
    assert not accepted(schema, '"text"')


def test_draft7_ref_ignores_its_siblings() -> None:
    schema = {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "definitions": {"n": {"type": "integer"}},
        "properties": {"v": {"$ref": "#/definitions/n", "type": "string"}},
    }
    assert accepted(schema, '{"v":3}')
    assert accepted({**schema, "$schema": "https://json-schema.org/draft/2020-12/schema"}, '{"v":3}') is False


def test_quoted_local_part_email() -> None:
    schema = {"type": "string", "format": "email"}
    assert accepted(schema, '"\\"joe bloggs\\"@example.com"')
    assert not accepted(schema, '"no-at-sign"')


def test_nested_repetitions_beyond_the_parser_limit_are_split() -> None:
    schema = {"type": "string", "pattern": "^([a-z]{1,100}-){1,50}$"}
    grammar = LlamaGrammar(compile_json_schema(schema).gbnf)  # raised "exceeds sane defaults" before
    assert grammar.accepts('"ab-cd-"') and not grammar.accepts('"ab-1"')


def test_refs_that_only_reach_each_other_are_not_left_recursive() -> None:
    schema = {
        "$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"anyOf": [{"$ref": "#/$defs/a"}, {"type": "string"}]}},
        "type": "array",
        "items": {"$ref": "#/$defs/a"},
    }
    grammar = LlamaGrammar(compile_json_schema(schema).gbnf)  # "left recursion detected" before
    assert grammar.accepts('["x","y"]') and not grammar.accepts("[1]")


def test_additional_properties_of_an_all_of_part_looks_at_its_own_properties_only() -> None:
    schema = {"allOf": [{"properties": {"foo": {}}}], "additionalProperties": {"type": "boolean"}}
    # "foo" is additional to the root schema, so it must be a boolean
    assert accepted(schema, '{"foo":true}')
    assert not accepted(schema, '{"foo":1}')


def test_one_of_overlap_is_decided_at_the_end() -> None:
    schema = {"oneOf": [{"type": "integer"}, {"type": "number", "minimum": 2}]}
    assert accepted(schema, "1") and accepted(schema, "2.5")
    assert not accepted(schema, "3")  # both branches hold: oneOf refuses it


def test_dates_follow_the_calendar_and_leap_seconds_fall_at_23_59_60_utc() -> None:
    date, time = {"type": "string", "format": "date"}, {"type": "string", "format": "time"}
    assert accepted(date, '"2024-02-29"') and accepted(date, '"2000-02-29"')
    assert not accepted(date, '"2023-02-29"') and not accepted(date, '"1900-02-29"')
    # leap seconds: the grammar takes 23:59:60 UTC in any quarter-hour offset (the suite's valid
    # times), and nothing else at :60 (jsonschema's own time check refuses leap seconds altogether)
    grammar = LlamaGrammar(compile_json_schema(time).gbnf)
    assert all(grammar.accepts(t) for t in ('"23:59:60Z"', '"15:59:60-08:00"', '"01:29:60+01:30"'))
    assert not grammar.accepts('"22:59:60Z"')
    assert accepted(time, '"12:00:00Z"') and accepted(time, '"08:30:06.283185+01:00"')


def test_dynamic_references_are_checked_at_the_end() -> None:
    compiled = compile_json_schema(
        {"$id": "https://example.com/s", "$defs": {"n": {"$dynamicAnchor": "n", "type": "integer"}},
         "items": {"$dynamicRef": "#n"}, "type": "array"}
    )
    assert any(u.keyword == "$dynamicRef" for u in compiled.unenforced)
    assert not compiled.is_valid_text('["x"]')


@pytest.mark.parametrize(
    ("pattern", "good", "bad"),
    [
        (r"^\p{Lu}\p{Ll}+$", '"Émile"', '"émile"'),  # Unicode property escapes
        (r"^(?<year>\d{4})-(?<month>\d{2})$", '"2024-05"', '"24-05"'),  # ECMA named groups
        (r"^a\cIb$", '"a\\tb"', '"a b"'),  # control escape: \cI is a tab
    ],
)
def test_ecma_262_patterns_python_cannot_read(pattern: str, good: str, bad: str) -> None:
    schema = {"type": "string", "pattern": pattern}
    assert compile_json_schema(schema).llguidance_lark is None  # our converter reads them
    assert accepted(schema, good)
    assert not accepted(schema, bad)


def test_draft_3_spellings_and_equal_numbers() -> None:
    assert accepted({"type": "any"}, "[1]")
    person = {"type": "object", "properties": {"a": {"type": "string", "required": True}}}
    assert accepted(person, '{"a":"x"}') and not accepted(person, "{}")
    assert accepted({"type": "object", "required": True}, "{}")  # draft 3's boolean at the top: no list, no crash
    assert accepted({"enum": [1.0, 2.5]}, "1")  # 1.0 is written as the integer it equals
