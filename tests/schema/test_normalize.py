"""Phase one of conversion: raw schemas to typed nodes (what the grammar will enforce)."""

from __future__ import annotations

import pytest

from llama_native.schema.errors import StrictModeError, UnsatisfiableSchemaError
from llama_native.schema.nodes import (
    Alternatives,
    AnyValue,
    ArrayType,
    IntegerType,
    Literals,
    NullType,
    NumberType,
    ObjectType,
    Property,
    Ref,
    StringType,
)
from llama_native.schema.normalize import normalize_schema


def test_object_keys_in_schema_order_with_prop_order_first() -> None:
    schema = {
        "type": "object",
        "properties": {"a": {"type": "integer"}, "b": {"type": "string", "maxLength": 3}, "c": True},
        "required": ["b"],
        "additionalProperties": False,
    }
    root = normalize_schema(schema, prop_order=["c"]).root
    assert root == ObjectType(
        [
            Property("c", AnyValue(), False),
            Property("a", IntegerType(), False),
            Property("b", StringType(max_length=3), True),
        ],
        [],
        None,
        ["c", "a", "b"],
    )


def test_recursive_ref_is_one_definition() -> None:
    schema = {
        "$defs": {"node": {"type": "object", "properties": {"next": {"$ref": "#/$defs/node"}}}},
        "$ref": "#/$defs/node",
    }
    result = normalize_schema(schema, additional_properties=False)
    (key,) = result.definitions
    definition = result.definitions[key]
    assert definition.name == "node"
    assert isinstance(definition.node, ObjectType)
    assert definition.node.properties == [Property("next", Ref(key), False)]
    assert result.root == definition.node  # the root's $ref is merged (allOf) with the root's own keywords


def test_all_of_is_merged_and_types_intersected() -> None:
    root = normalize_schema({"allOf": [{"type": "number", "minimum": 2}, {"type": "integer", "maximum": 9}]}).root
    assert root == IntegerType(2, 9)


def test_unsatisfiable_alternative_and_optional_property_are_dropped() -> None:
    result = normalize_schema(
        {
            "type": "object",
            "properties": {"x": {"enum": [1, 2], "type": "string"}, "y": {"anyOf": [False, {"type": "null"}]}},
        }
    )
    assert isinstance(result.root, ObjectType)
    assert [p.name for p in result.root.properties] == ["y"]
    assert result.root.properties[0].value == Alternatives([("1", NullType())])
    assert result.root.excluded_keys == ["y", "x"]  # "x" may not appear as an extra key either


def test_required_unsatisfiable_property_refuses_the_schema() -> None:
    with pytest.raises(UnsatisfiableSchemaError, match="required property 'x'"):
        normalize_schema({"type": "object", "properties": {"x": {"minLength": 3, "maxLength": 1}}, "required": ["x"]})


def test_relaxed_keywords_are_recorded_or_refused_under_strict() -> None:
    schema = {"type": "array", "items": {"type": "number", "minimum": 0.5}, "uniqueItems": True}
    result = normalize_schema(schema)
    assert result.root == ArrayType([], NumberType(non_negative=True))
    assert sorted(u.keyword for u in result.unenforced) == ["minimum", "uniqueItems"]
    with pytest.raises(StrictModeError):
        normalize_schema(schema, strict=True)


def test_enum_values_outside_the_type_are_left_out() -> None:
    assert normalize_schema({"type": "integer", "enum": [1, "1", 2.0, None]}).root == Literals([1, 2.0])
