"""One compile step to both engines' input: the GBNF text stays the same, the direct Lark means the same.

The schema compiler builds its rules as expression trees (``schema/gexpr.py``)
and prints them as GBNF and as llguidance's Lark (``schema/lark.py``).  These
tests hold the two promises that makes:

* the GBNF text is byte for byte what the text emitter wrote before the trees
  (``data/gbnf_digests.json``: digests of main's output for a sample of
  JSONSchemaBench, two whitespace and key-order settings), so every cache
  key and existing grammar stays the same;
* the direct Lark is the Lark llguidance's ``gbnf_to_lark`` makes of the
  GBNF (text equal where no repetition was split for llama.cpp's parser),
  and where the texts differ both accept and refuse the same strings
  (llguidance's matcher, valid bench instances and mutated ones).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from collections.abc import Iterator
from typing import Any

import pytest
from helpers import REPO

from llama_native import LlamaGrammar, _llguidance, _native
from llama_native.request.structure import choose_engine, engine_params
from llama_native.schema import compile_json_schema
from llama_native.schema.converter import convert_schema

SCHEMAS = Path(os.environ.get("LLAMA_NATIVE_SCHEMAS", REPO.parent / "shared" / "schemas"))
DIGESTS = json.loads((Path(__file__).parent / "data" / "gbnf_digests.json").read_text())
needs_bench = pytest.mark.skipif(not SCHEMAS.is_dir(), reason=f"JSONSchemaBench data not found in {SCHEMAS}")
needs_llguidance = pytest.mark.skipif(not _llguidance.available(), reason="llguidance is not installed")


def _records() -> dict[tuple[str, str], dict[str, Any]]:
    wanted = {tuple(key.split(":")[:2]) for key in DIGESTS}
    out = {}
    for name in sorted({file for file, _ in wanted}):
        for line in (SCHEMAS / name).read_text().splitlines():
            record = json.loads(line)
            if (name, record["id"]) in wanted:
                out[(name, record["id"])] = record
    return out


@pytest.fixture(scope="module")
def records() -> dict[tuple[str, str], dict[str, Any]]:
    """The sampled bench records, by (file, id)."""
    return _records()


def _gbnf(schema: Any, whitespace: str, key_order: str) -> str:
    try:
        return convert_schema(schema, whitespace=whitespace, key_order=key_order).gbnf
    except Exception as exc:  # the digest of a refusal is recorded too
        return "ERR " + type(exc).__name__


@needs_bench
def test_gbnf_text_unchanged_on_bench_sample(records: dict[tuple[str, str], dict[str, Any]]) -> None:
    """Main's text emitter and the trees print the same GBNF, byte for byte."""
    changed = []
    for key, digest in DIGESTS.items():
        file, schema_id, whitespace, key_order = key.split(":")
        text = _gbnf(records[(file, schema_id)]["schema"], whitespace, key_order)
        if hashlib.sha256(text.encode()).hexdigest()[:16] != digest:
            changed.append(key)
    assert len(DIGESTS) > 500
    assert not changed, changed[:10]


def _mutations(text: str) -> list[str]:
    """Near misses of a valid output: cut short, a character changed, padded, doubled."""
    out = [text[: len(text) // 2], text + "x", text + " ", " " + text, text + text]
    if len(text) > 2:
        middle = len(text) // 2
        out += [text[:middle] + "#" + text[middle + 1 :], text[:middle] + '"' + text[middle:], text[:-1]]
    return out


def _compiled(records: dict[tuple[str, str], dict[str, Any]], keys: list[str]) -> Iterator[tuple[str, dict, Any]]:
    """(digest key, record, our compiled grammar) for each key whose schema our converter takes."""
    for key in keys:
        file, schema_id, whitespace, key_order = key.split(":")
        record = records[(file, schema_id)]
        try:
            compiled = compile_json_schema(record["schema"], whitespace=whitespace, key_order=key_order, compiler="ours")
        except Exception:
            continue  # refused by our converter: no Lark to compare
        yield key, record, compiled


@needs_bench
@needs_llguidance
def test_direct_lark_is_llguidance_translation(records: dict[tuple[str, str], dict[str, Any]]) -> None:
    """The same Lark text as ``gbnf_to_lark``; where not (a split repetition, a name clash), the same strings."""
    same = compared = 0
    for key, record, compiled in _compiled(records, sorted(DIGESTS)):
        direct = compiled.lark
        assert direct is not None, key
        translated = _llguidance.gbnf_to_llguidance(compiled.gbnf)
        if direct == translated:
            same += 1
            continue
        if _llguidance.lark_error(direct):  # too deep for llguidance: the sampler falls back to GBNF, as before
            assert translated is None or _llguidance.lark_error(translated), key
            continue
        grammar = LlamaGrammar(compiled.gbnf)  # llama.cpp's engine is the reference where llguidance could not read it
        texts = [compiled.serialize_raw(test["data"]) for test in record["tests"]]
        for text in texts + [m for t in texts[:3] for m in _mutations(t)]:
            want = grammar.accepts(text) if translated is None else _llguidance.lark_accepts(translated, text)
            assert _llguidance.lark_accepts(direct, text) == want, (key, text)
            compared += 1
    assert same > 550
    assert compared > 0  # the split and name-clash schemas are in the sample


@needs_bench
@needs_llguidance
def test_direct_lark_accepts_as_gbnf_on_instances(records: dict[tuple[str, str], dict[str, Any]]) -> None:
    """Llguidance on the direct Lark and llama.cpp on the GBNF agree on valid instances and near misses."""
    checked = 0
    for key, record, compiled in _compiled(records, sorted(DIGESTS)[::8]):
        assert compiled.lark is not None
        if _llguidance.lark_error(compiled.lark):  # too deep for llguidance (the GBNF engine runs it)
            continue
        grammar = LlamaGrammar(compiled.gbnf)
        texts = [compiled.serialize_raw(test["data"]) for test in record["tests"][:4]]
        for text in texts + [m for t in texts[:2] for m in _mutations(t)]:
            assert _llguidance.lark_accepts(compiled.lark, text) == grammar.accepts(text), (key, text)
            checked += 1
    assert checked > 200


@needs_llguidance
def test_engine_chosen_once_with_the_direct_lark() -> None:
    """``choose_engine`` gives llguidance the Lark written from the schema's rules; GBNF where it should."""
    schema = {"type": "object", "properties": {"n": {"type": "integer", "minimum": 1, "maximum": 9}}, "required": ["n"]}
    grammar = LlamaGrammar.from_json_schema(schema, whitespace="compact")
    choice = choose_engine(grammar, "auto")
    assert grammar.json_schema is not None
    assert choice.engine == _native.GrammarEngineKind.llguidance and choice.name == "llguidance"
    assert choice.lark == grammar.json_schema.lark
    assert _llguidance.lark_accepts(choice.lark, '{"n":7}') and not _llguidance.lark_accepts(choice.lark, '{"n":10}')
    assert choose_engine(grammar, "gbnf").engine == _native.GrammarEngineKind.gbnf
    relaxed = LlamaGrammar.from_json_schema({"type": "integer", "multipleOf": 3})  # checked where it ends: GBNF
    assert choose_engine(relaxed, "auto").name == "gbnf"
    assert choose_engine(None, "auto").engine == _native.GrammarEngineKind.none
    text = LlamaGrammar('root ::= "a"+')  # a grammar given as text: llguidance's own translation
    assert choose_engine(text, "llguidance") == choose_engine(text, "llguidance")
    assert choose_engine(text, "llguidance").lark == _llguidance.gbnf_to_llguidance('root ::= "a"+')


def test_camel_case_names_do_not_clash_in_lark() -> None:
    """``fooBar`` and ``foo-bar`` both fold to ``foo_bar`` in Lark: the direct Lark keeps them apart."""
    schema = {"type": "object", "properties": {"fooBar": {"type": "integer"}, "foo-bar": {"type": "string"}},
              "required": ["fooBar", "foo-bar"], "additionalProperties": False}  # fmt: skip
    compiled = compile_json_schema(schema, whitespace="compact", compiler="ours")
    if not _llguidance.available():
        pytest.skip("llguidance is not installed")
    assert compiled.lark is not None
    assert _llguidance.lark_accepts(compiled.lark, '{"fooBar":1,"foo-bar":"x"}')
    assert not _llguidance.lark_accepts(compiled.lark, '{"fooBar":"x","foo-bar":1}')


def test_engine_reaches_the_native_params_as_an_enum() -> None:
    """``engine_params`` puts the one choice on ``SamplingParams.engine``; the stub types it as the enum."""
    p = _native.SamplingParams()
    assert p.engine == _native.GrammarEngineKind.none
    choice = engine_params(p, LlamaGrammar('root ::= "a"+'), "gbnf")
    assert p.engine == choice.engine == _native.GrammarEngineKind.gbnf and p.grammar == 'root ::= "a"+'
    assert p.llg_kind == ""
    stub = (Path(_native.__file__).parent / "_native.pyi").read_text()
    assert "class GrammarEngineKind(enum.Enum):" in stub
    assert "def engine(self) -> GrammarEngineKind:" in stub
    if _llguidance.available():
        p = _native.SamplingParams()
        engine_params(p, LlamaGrammar.from_json_schema({"type": "boolean"}, whitespace="compact"), "auto")
        assert p.engine == _native.GrammarEngineKind.llguidance and p.llg_kind == "lark" and p.grammar == ""


def test_sampler_runs_the_engine_named_and_refuses_a_grammar_without_one() -> None:
    """The native sampler decides nothing: no engine with a grammar is an error; ``gbnf`` runs GBNF."""
    from helpers import model_path_for

    from llama_native import Llama

    llm = Llama(str(model_path_for("synthetic")), n_ctx=64, seed=1)
    try:
        tokens = llm.tokenize(b"JSON:")
        gen = _native.GenerationParams()
        gen.max_tokens = 4
        p = _native.SamplingParams()
        p.grammar = 'root ::= "a"+'
        with pytest.raises(ValueError, match="engine is none"):
            _native.TokenLoop(llm._ctx, tokens, p, gen, None, None, None, None)
        p.engine = _native.GrammarEngineKind.gbnf
        loop = _native.TokenLoop(llm._ctx, tokens, p, gen, None, None, None, None)
        while loop.next(True) is not None:
            pass
        assert loop.grammar_engine == "gbnf" and set(loop.text) <= {"a"}
        loop.close()
    finally:
        llm.close()
