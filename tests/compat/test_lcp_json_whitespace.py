"""JSON mode side by side with llama-cpp-python 0.3.36: ``Llama``'s default JSON whitespace is its.

llama-cpp-python converts a ``response_format`` schema with its
``SchemaConverter`` (one optional space between tokens, also between a key and
its ``":"``) and JSON mode without a schema with its ``JSON_GBNF``;
``Llama(json_whitespace="lcp")``, the default, gives the same grammar
whitespace, so greedy replies are the same text.  Run on SmolLM2 and the micro
model through both packages (``lcp_venv.py``).
"""

from __future__ import annotations


import pytest
from lcp_venv import run_both

PROGRAM = """
import json
from llama_cpp import Llama
llm = Llama(MODEL, n_ctx=512, verbose=False)
SCHEMA = {"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"},
          "tags": {"type": "array", "items": {"type": "string"}}}, "required": ["name", "age", "tags"]}
MESSAGES = [{"role": "system", "content": "You extract data as JSON."},
            {"role": "user", "content": "Jason is 25 years old and likes hiking and chess."}]
out = {}
for name, fmt in (("schema", {"type": "json_object", "schema": SCHEMA}), ("json_mode", {"type": "json_object"})):
    reply = llm.create_chat_completion(messages=MESSAGES, response_format=fmt, temperature=0, max_tokens=40)
    out[name] = reply["choices"][0]["message"]["content"]
print(json.dumps(out))
"""


@pytest.fixture(scope="module", params=["smollm2", "micro"])
def both(request: pytest.FixtureRequest) -> tuple[dict, dict]:
    return run_both(request.param, PROGRAM)


@pytest.mark.parametrize("case", ["schema", "json_mode"])
def test_json_reply_equals_llama_cpp_python(both: tuple[dict, dict], case: str) -> None:
    theirs, ours = both
    assert ours[case] == theirs[case]


def test_free_whitespace_stays_available() -> None:
    from llama_native import LlamaGrammar

    lcp = LlamaGrammar.from_json_schema({"type": "object", "properties": {"a": {"type": "integer"}}}, whitespace="lcp")
    free = LlamaGrammar.from_json_schema({"type": "object", "properties": {"a": {"type": "integer"}}}, whitespace="free")
    assert lcp.accepts('{"a" : 1} ') and not lcp.accepts('{\n  "a": 1}')
    assert free.accepts('{\n  "a": 1}') and not free.accepts('{"a" : 1} ')
