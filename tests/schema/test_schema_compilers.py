"""Two routes from JSON Schema to grammar: our converter, and llguidance's own compiler where ours cannot read a schema.

Generation runs on the compiled runtime with the synthetic model: whatever
the weights, a completed output under either route validates.
"""

from __future__ import annotations

import json

import pytest
import regex

from llama_native import Llama, LlamaGrammar
from llama_native.schema import UnsupportedSchemaError, compile_json_schema

# Python's re has no script properties, so our converter cannot read this pattern; llguidance's (Rust) regex can
LATIN_WORD = {
    "type": "object",
    "properties": {"word": {"type": "string", "pattern": "^\\p{Script=Latin}{1,6}$"}, "n": {"type": "integer"}},
    "required": ["word", "n"],
    "additionalProperties": False,
}


def test_auto_hands_a_schema_ours_cannot_read_to_llguidance() -> None:
    with pytest.raises(UnsupportedSchemaError):
        compile_json_schema(LATIN_WORD, compiler="ours")
    grammar = LlamaGrammar.from_json_schema(LATIN_WORD)
    assert grammar.llguidance_lark is not None and grammar.grammar == ""
    assert grammar.accepts('{"word": "abc", "n": 3}')
    assert not grammar.accepts('{"word": "abcdefghij", "n": 3}') and not grammar.accepts('{"word": "ab1", "n": 3}')
    assert not grammar.accepts('{"n": 3}')


def test_a_property_named_dollar_ref_stays_on_our_route() -> None:
    schema = {
        "type": "object",
        "properties": {"$ref": {"$ref": "#/$defs/word"}},
        "$defs": {"word": {"type": "string", "maxLength": 3}},
        "required": ["$ref"],
    }
    grammar = LlamaGrammar.from_json_schema(schema)
    assert grammar.llguidance_lark is None
    assert grammar.accepts('{"$ref":"abc"}') and not grammar.accepts('{"$ref":"abcd"}')


def test_llguidance_route_generates_valid_json(llm: Llama, model_path: object) -> None:
    grammar = LlamaGrammar.from_json_schema(LATIN_WORD)
    completed = 0
    for seed in range(6):
        out = llm("JSON:", grammar=grammar, seed=seed, temperature=1.0, max_tokens=80)
        assert llm.last_generation_stats["grammar_engine"] == "llguidance"
        if out["choices"][0]["finish_reason"] == "stop":
            completed += 1
            value = json.loads(out["choices"][0]["text"])
            # the pattern itself (Python's re cannot read it): Latin script includes letter-like numerals such as "ⅻ"
            assert set(value) == {"word", "n"} and isinstance(value["n"], int)
            assert regex.fullmatch(r"\p{Script=Latin}{1,6}", value["word"]), value
    assert completed >= 2
    gbnf_only = Llama(str(model_path), n_ctx=256, grammar_engine="gbnf")
    with pytest.raises(ValueError, match="llguidance"):
        gbnf_only("JSON:", grammar=grammar, max_tokens=4)


def test_forced_llguidance_compiler_keeps_our_options() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "boolean"}}, "required": ["a", "b"]}
    compact = LlamaGrammar.from_json_schema(schema, compiler="llguidance", whitespace="compact", prop_order=["b"])
    assert compact.accepts('{"b":true,"a":1}')
    assert not compact.accepts('{"a":1,"b":true}') and not compact.accepts('{"b": true,"a":1}')
    free = LlamaGrammar.from_json_schema(schema, compiler="llguidance", whitespace="free")
    assert free.accepts('{"a": 1,\n  "b": false}')
    lcp = LlamaGrammar.from_json_schema(schema, compiler="llguidance")  # llama-cpp-python's one optional space
    assert lcp.accepts('{ "a" : 1 , "b" : false }') and not lcp.accepts('{"a": 1,\n  "b": false}')
    with pytest.raises(UnsupportedSchemaError, match="key_order"):
        compile_json_schema(schema, compiler="llguidance", key_order="any")
    with pytest.raises(ValueError, match="compiler"):
        compile_json_schema(schema, compiler="xgrammar")
