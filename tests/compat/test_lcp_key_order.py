"""Key order side by side with llama-cpp-python 0.3.36: required keys first, as its ``SchemaConverter`` writes them.

llama-cpp-python's converter puts an object's required properties first (in
the schema's order), then the optional ones (each skippable, in order, extra
keys last).  ``Llama``'s default (``json_whitespace="lcp"``) and
``LlamaGrammar.from_json_schema`` (top level and ``llama_grammar``: one class) and
``llama_grammar.json_schema_to_gbnf`` do the same
(``key_order="required-first"``), so a schema whose optional field is declared
before a required one gives the same greedy text on both packages (SmolLM2
and the micro model, through ``lcp_venv.py``), and the grammars accept the
same texts as the port of llama-cpp-python's converter.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any, Optional

import pytest
from lcp_venv import run_lcp, run_ours

#: ``Person.model_json_schema()`` of the pydantic model below (llama-cpp-python's venv has no pydantic)
PERSON = {
    "properties": {
        "nickname": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None, "title": "Nickname"},
        "name": {"title": "Name", "type": "string"},
        "age": {"title": "Age", "type": "integer"},
    },
    "required": ["name", "age"],
    "title": "Person",
    "type": "object",
}

#: ``Doctor.model_json_schema()``: offered first, SmolLM2 and the micro model skip ``title``; offered after ``name``, they write it
DOCTOR = {
    "properties": {"title": {"default": "", "title": "Title", "type": "string"}, "name": {"title": "Name", "type": "string"}},
    "required": ["name"],
    "title": "Doctor",
    "type": "object",
}

PROGRAM = """
import json
import llama_cpp
from llama_cpp import Llama
from llama_cpp.llama_grammar import LlamaGrammar, json_schema_to_gbnf
llm = Llama(MODEL, n_ctx=512, verbose=False)
MESSAGES = [{"role": "system", "content": "You extract data as JSON."},
            {"role": "user", "content": "Jason, whom everybody calls Jay, is 25 years old."}]
out = {}
reply = llm.create_chat_completion(messages=MESSAGES, response_format={"type": "json_object", "schema": SCHEMA},
                                   temperature=0, max_tokens=40)
out["chat"] = reply["choices"][0]["message"]["content"]
reply = llm.create_chat_completion(messages=[MESSAGES[0], {"role": "user", "content": "Dr. Jason Smith is a surgeon."}],
                                   response_format={"type": "json_object", "schema": DOCTOR}, temperature=0, max_tokens=40)
out["chat_title"] = reply["choices"][0]["message"]["content"]
grammar = LlamaGrammar.from_json_schema(json.dumps(SCHEMA))
prompt = "Jason, whom everybody calls Jay, is 25 years old. As JSON:"
out["completion"] = llm.create_completion(prompt, grammar=grammar, temperature=0, max_tokens=40)["choices"][0]["text"]
top = llama_cpp.LlamaGrammar.from_json_schema(json.dumps(DOCTOR))  # the top-level name: the same class there
prompt = "Dr. Jason Smith is a surgeon. As JSON:"
out["completion_top"] = llm.create_completion(prompt, grammar=top, temperature=0, max_tokens=40)["choices"][0]["text"]
text = llama_cpp.LlamaGrammar.from_string(json_schema_to_gbnf(json.dumps(SCHEMA), ["age"]))
out["completion_gbnf"] = llm.create_completion(prompt, grammar=text, temperature=0, max_tokens=40)["choices"][0]["text"]
print(json.dumps(out))
"""


def test_schema_is_the_pydantic_models() -> None:
    from pydantic import BaseModel

    class Person(BaseModel):
        nickname: Optional[str] = None  # noqa: UP045
        name: str
        age: int

    class Doctor(BaseModel):
        title: str = ""
        name: str

    assert Person.model_json_schema() == PERSON and Doctor.model_json_schema() == DOCTOR


@pytest.fixture(scope="module", params=["smollm2", "micro"])
def both(request: pytest.FixtureRequest) -> tuple[dict, dict]:
    from llama_native import MICRO_MODEL_PATH
    from llama_native.testing import smollm2_model_path

    path = smollm2_model_path() if request.param == "smollm2" else Path(MICRO_MODEL_PATH)
    if path is None:
        pytest.skip("SmolLM2 is not installed")
    source = f"MODEL = {str(path)!r}\nSCHEMA = {PERSON!r}\nDOCTOR = {DOCTOR!r}\n" + PROGRAM
    return json.loads(run_lcp(source)), json.loads(run_ours(source))


@pytest.mark.parametrize("case", ["chat", "chat_title", "completion", "completion_top", "completion_gbnf"])
def test_reply_equals_llama_cpp_python(both: tuple[dict, dict], case: str) -> None:
    theirs, ours = both
    assert ours[case] == theirs[case]


# ------------------------------------------------- the languages, text by text
OBJECTS: list[dict[str, Any]] = [
    {"type": "object", "properties": {k: {"type": "integer"} for k in "abcd"}, "required": ["b", "d"]},
    {"type": "object", "properties": {k: {"type": "integer"} for k in "abc"}, "required": []},
    {"type": "object", "properties": {k: {"type": "integer"} for k in "abc"}, "required": ["c"],
     "additionalProperties": {"type": "integer"}},
]

SAMPLES = ['{"b":1,"d":2,"a":3}', "{}", '{"c":0,"a":1,"z":2}']


def _texts(keys: str) -> list[tuple[tuple[str, ...], str]]:
    """Every ordered selection of ``keys`` and an extra key ``z`` as an object, compact and spaced."""
    texts = []
    for n in range(len(keys) + 2):
        for chosen in itertools.permutations(keys + "z", n):
            pairs = [(k, i) for i, k in enumerate(chosen)]
            texts.append((chosen, "{" + ",".join(f'"{k}":{i}' for k, i in pairs) + "}"))
            texts.append((chosen, "{ " + " , ".join(f'"{k}" : {i}' for k, i in pairs) + " } "))
    return texts


@pytest.mark.parametrize("schema", OBJECTS, ids=["required-between", "all-optional", "additional"])
def test_compat_from_json_schema_accepts_what_llama_cpp_python_accepts(schema: dict[str, Any]) -> None:
    from llama_native.compat._schema_converter import lcp_json_schema_to_gbnf
    from llama_native.llama_grammar import LlamaGrammar

    theirs = LlamaGrammar.from_string(lcp_json_schema_to_gbnf(json.dumps(schema)), verbose=False)
    ours = LlamaGrammar.from_json_schema(json.dumps(schema))
    declared = list(schema["properties"])
    placement = sorted(declared, key=lambda k: k not in schema["required"])  # required first, stable
    for chosen, text in _texts("".join(declared)):
        keys = [k for k in chosen if k != "z"]
        in_place = keys == [k for k in placement if k in keys] and "z" not in chosen[:-1]
        if "additionalProperties" not in schema:
            assert ours.accepts(text) == theirs.accepts(text), text
        elif in_place:  # what llama-cpp-python accepts, in place, ours accepts
            assert ours.accepts(text) or not theirs.accepts(text), text
        else:  # llama-cpp-python's extra keys may repeat a declared one (or bring one out of place); ours may not
            assert not ours.accepts(text), text
    assert ours.accepts(SAMPLES[OBJECTS.index(schema)])
    if "additionalProperties" in schema:
        # llama-cpp-python's grammar wants an extra key right after an optional one, with no comma
        # (invalid JSON: its `b-rest ::= additional-kvs`); ours lets the object end there, or go on with a comma
        assert theirs.accepts('{"c":0,"b":1"z":2}')
        assert not ours.accepts('{"c":0,"b":1"z":2}')
        assert ours.accepts('{"c":0,"b":1}') and ours.accepts('{"c":0,"a":1,"z":2}')


def test_llama_default_grammar_is_required_first_and_prop_order_still_wins() -> None:
    from llama_native.request.structure import StructureSpec

    fmt = {"type": "json_object", "schema": PERSON}
    lcp = StructureSpec.for_chat(response_format=fmt).compile("lcp", additional_properties=False)
    free = StructureSpec.for_chat(response_format=fmt).compile("free", additional_properties=False)
    ordered = StructureSpec.for_chat(response_format=fmt, prop_order=["nickname"]).compile("lcp")
    assert lcp is not None and free is not None and ordered is not None
    required_first = '{"name": "J", "age": 1, "nickname": "Jay"}'
    optional_first = '{"nickname": "Jay", "name": "J", "age": 1}'
    assert lcp.accepts(required_first) and not lcp.accepts(optional_first)
    assert free.accepts(optional_first) and not free.accepts(required_first)
    assert ordered.accepts(optional_first) and not ordered.accepts(required_first)


def test_required_first_key_order_in_the_compiler() -> None:
    from llama_native import LlamaGrammar
    from llama_native.schema import compile_json_schema

    schema = OBJECTS[0]
    grammar = LlamaGrammar.from_json_schema(schema, key_order="required-first", whitespace="compact")
    assert grammar.accepts('{"b":1,"d":2,"a":3,"c":4}') and grammar.accepts('{"b":1,"d":2,"c":4}')
    assert not grammar.accepts('{"a":3,"b":1,"d":2}') and not grammar.accepts('{"b":1,"d":2,"c":4,"a":3}')
    # prop_order first, then the required ones first within that order (llama-cpp-python's sort)
    with_order = LlamaGrammar.from_json_schema(schema, key_order="required-first", prop_order=["d", "c"])
    assert with_order.accepts('{"d":2,"b":1,"c":4,"a":3}') and not with_order.accepts('{"b":1,"d":2}')
    compiled = compile_json_schema(schema, key_order="required-first")
    assert compiled.serialize({"a": 3, "c": 4, "d": 2, "b": 1}) == '{"b":1,"d":2,"a":3,"c":4}'
    with pytest.raises(ValueError, match="key_order"):
        compile_json_schema(schema, key_order="required")


def test_one_grammar_class_with_llama_cpp_pythons_defaults() -> None:
    import llama_native
    from llama_native import llama_grammar

    assert llama_native.LlamaGrammar is llama_grammar.LlamaGrammar  # as llama_cpp.LlamaGrammar is llama_grammar's
    schema = OBJECTS[0]
    default = llama_native.LlamaGrammar.from_json_schema(schema)
    assert default.accepts('{ "b" : 1 , "d" : 2 , "a" : 3 } ')  # one optional space, required first
    assert not default.accepts('{"b":1,"d":2,"z":3}') and not default.accepts('{"a":3,"b":1,"d":2}')
    converter = llama_native.LlamaGrammar.from_json_schema(
        schema, whitespace="free", key_order="schema", additional_properties=None
    )
    assert converter.accepts('{"a":3,"b":1,"d":2,"z":3}') and not converter.accepts('{"b":1,"d":2,"a":3}')
    text = llama_grammar.json_schema_to_gbnf(json.dumps(schema), ["d"])
    assert llama_native.LlamaGrammar.from_string(text).accepts('{"d": 2, "b": 1}')
