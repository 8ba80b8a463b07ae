"""The core job on a real instruct model: SmolLM2-135M-Instruct (or ``LLAMA_NATIVE_TEST_MODEL``).

Random weights show what holds whatever the weights; this file checks what a
user sees on a real model at the package's defaults: JSON written in the
model's own style (free, bounded whitespace) on every structured path, values
copied right, and forced tool calls that always complete.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, List

import pytest
from pydantic import BaseModel

from llama_native import Llama

from helpers import ENV_MODEL

from extraction_items import ITEMS, Person, is_right, messages_for  # bench/ is on pytest's pythonpath

PEOPLE = [item for item in ITEMS if item[0] is Person]
ON_SMOLLM2 = ENV_MODEL is None  # the figures below were measured on SmolLM2; a user's model is only held to validity


class Weather(BaseModel):
    """Get the current weather in a city."""

    city: str


class Multiply(BaseModel):
    """Multiply two integers."""

    a: int
    b: int


@pytest.fixture(scope="module")
def real_llm(real_model_path: Path) -> Llama:
    return Llama(str(real_model_path), n_ctx=2048, n_threads=2)


def test_default_json_is_llama_cpp_pythons_and_free_json_is_the_models_own_style(real_llm: Llama) -> None:
    """Llama's default whitespace is llama-cpp-python's (one optional space); ``free`` lets the model
    pretty-print as it learned (the server's and the integrations' default); compact forces it out of that habit."""
    right = {"lcp": 0, "free": 0, "compact": 0}
    texts: List[str] = []
    for cls, text, expected in PEOPLE:
        for whitespace in right:
            kwargs = {} if whitespace == "lcp" else {"json_whitespace": whitespace}
            out = real_llm.create_chat_completion(messages_for(text), response_format=cls, temperature=0, max_tokens=200, **kwargs)
            content = out["choices"][0]["message"]["content"]
            assert out["choices"][0]["finish_reason"] == "stop"
            parsed = cls.model_validate_json(content)  # completed output always validates
            right[whitespace] += is_right(parsed, expected)
            if whitespace == "free":
                texts.append(content)
                assert content == content.strip()  # nothing after the document
            elif whitespace == "compact":
                assert json.dumps(json.loads(content), separators=(",", ":"), ensure_ascii=False) == content
            else:  # llama-cpp-python's " "?: at most a space between tokens (and strings hold no raw newline)
                assert "\n" not in content
    if ON_SMOLLM2:
        assert any("\n" in t for t in texts)  # SmolLM2 pretty-prints when it may
        # measured: 10/10 free, 10/10 lcp, 6/10 compact (bench/bench_json_whitespace.py has the 62 items)
        assert right["free"] >= 9 and right["free"] > right["compact"], right
        assert right["lcp"] >= 9, right


def test_every_structured_path_reaches_the_chat_apis_grammar(
    real_llm: Llama, real_model_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """LangChain, LlamaIndex and instructor reach the same grammar as the chat API: the same greedy object.

    The adapters load with ``json_whitespace="free"``; instructor calls ``Llama``, whose default is
    llama-cpp-python's ``"lcp"``.

    Every path ends in a ``CompletionRequest`` run by ``Llama.run``; a spy there
    records the whitespace mode of each schema grammar it is given.
    """
    import instructor
    from langchain_llama_native import ChatLlamaCpp
    from llama_index.core.prompts import PromptTemplate
    from llama_index.llms.llama_native import LlamaCPP

    from llama_native.request import CompletionRequest

    modes: list[str] = []
    run = Llama.run

    def spy(self: Llama, request: Any) -> Any:
        grammar = request.structure.grammar if isinstance(request, CompletionRequest) else None
        if grammar is not None and grammar.json_schema is not None:
            modes.append(grammar.json_schema.whitespace)
        return run(self, request)

    monkeypatch.setattr(Llama, "run", spy)
    cls, text, _ = PEOPLE[0]
    raw = real_llm.create_chat_completion(messages_for(text), response_format=cls, temperature=0, max_tokens=200,
                                          json_whitespace="free")
    reference = cls.model_validate_json(raw["choices"][0]["message"]["content"])
    raw_lcp = real_llm.create_chat_completion(messages_for(text), response_format=cls, temperature=0, max_tokens=200)
    reference_lcp = cls.model_validate_json(raw_lcp["choices"][0]["message"]["content"])

    chat = ChatLlamaCpp(model_path=str(real_model_path), n_ctx=2048, n_threads=2, temperature=0, max_tokens=200)
    assert chat.with_structured_output(cls, method="json_schema").invoke(messages_for(text)) == reference

    create = instructor.patch(create=real_llm.create_chat_completion_openai_v1, mode=instructor.Mode.JSON_SCHEMA)
    answer = create(messages=messages_for(text), response_model=cls, temperature=0, max_tokens=200)
    assert answer.model_dump() == reference_lcp.model_dump()  # instructor adds its schema message: compare the values

    index_llm = LlamaCPP(model_path=str(real_model_path), context_window=2048, temperature=0, max_new_tokens=200,
                         model_kwargs={"n_threads": 2})
    prompt = PromptTemplate(text)  # LlamaIndex sends it as one user message: compare with the same message
    expected = cls.model_validate_json(real_llm.create_chat_completion(
        [{"role": "user", "content": text}], response_format=cls, temperature=0, max_tokens=200, json_whitespace="free",
    )["choices"][0]["message"]["content"])
    assert index_llm.structured_predict(cls, prompt) == expected
    # raw (free, then the default), LangChain, instructor, the LlamaIndex reference, LlamaIndex
    assert modes == ["free", "lcp", "free", "lcp", "free", "free"]


@pytest.mark.parametrize("tool_choice", ["any", "Weather"])
def test_forced_tool_calls_always_complete(real_model_path: Path, tool_choice: str) -> None:
    """A forced choice yields complete calls: one for a named tool, at most one per tool for "any"."""
    from langchain_llama_native import ChatLlamaCpp

    chat = ChatLlamaCpp(model_path=str(real_model_path), n_ctx=2048, n_threads=2, temperature=0, max_tokens=256)
    bound = chat.bind_tools([Weather, Multiply], tool_choice=tool_choice)
    for question in ("What is the weather in Paris?", "What is 6 times 7?", "Hello!"):
        reply = bound.invoke(question)
        assert reply.response_metadata["finish_reason"] == "tool_calls"
        assert 1 <= len(reply.tool_calls) <= (1 if tool_choice == "Weather" else 2)
        for call in reply.tool_calls:
            schema = {"Weather": Weather, "Multiply": Multiply}[call["name"]]
            schema.model_validate(call["args"])
            if tool_choice == "Weather":
                assert call["name"] == "Weather"


def test_a_cut_generation_keeps_its_complete_calls(real_llm: Llama) -> None:
    """max_tokens cutting a forced reply returns the calls completed before the cut (finish_reason "length")."""
    tools = [{"type": "function", "function": {"name": "weather", "parameters": Weather.model_json_schema()}}]
    kwargs = dict(tools=tools, tool_choice="required", temperature=0)
    messages = [{"role": "user", "content": "What is the weather in Paris, in Rome and in Oslo?"}]
    whole = real_llm.create_chat_completion(messages, max_tool_calls=3, max_tokens=400, **kwargs)
    calls = whole["choices"][0]["message"]["tool_calls"]
    assert whole["choices"][0]["finish_reason"] == "tool_calls" and 1 <= len(calls) <= 3
    first = real_llm.create_chat_completion(messages, max_tool_calls=1, max_tokens=400, **kwargs)
    n_first = first["usage"]["completion_tokens"]
    if ON_SMOLLM2:
        assert len(calls) > 1  # SmolLM2 goes on to a second call (so the cut below is tested)
    if len(calls) > 1:  # the model went on to a second call: cut it in the middle
        cut = real_llm.create_chat_completion(messages, max_tool_calls=3, max_tokens=n_first + 4, **kwargs)
        assert cut["choices"][0]["finish_reason"] == "length"
        assert [c["function"] for c in cut["choices"][0]["message"]["tool_calls"]] == [calls[0]["function"]]


def test_llama_index_required_tool_call_completes(real_model_path: Path) -> None:
    from llama_index.core.tools import FunctionTool
    from llama_index.llms.llama_native import LlamaCPP

    def multiply(a: int, b: int) -> int:
        """Multiply two integers."""
        return a * b

    llm = LlamaCPP(model_path=str(real_model_path), context_window=2048, temperature=0, max_new_tokens=256,
                   model_kwargs={"n_threads": 2})
    response = llm.chat_with_tools([FunctionTool.from_defaults(fn=multiply)], user_msg="What is 6 times 7?", tool_required=True)
    calls = llm.get_tool_calls_from_response(response)
    assert len(calls) == 1 and calls[0].tool_name == "multiply" and set(calls[0].tool_kwargs) == {"a", "b"}


def test_llama_n_parallel_replies_do_not_depend_on_the_batch(real_model_path: Path) -> None:
    """``Llama(n_parallel=8)`` at its defaults (flash attention auto there): a reply alone equals it among 8.

    Without flash attention ggml's CPU attention rounds by batch: ``bench_batching.py`` on
    SmolLM2 saw one of 8 replies change ("Mál {}" against "Máximas") when ``n_parallel=8``
    kept llama-cpp-python's default off.
    """
    from concurrent.futures import ThreadPoolExecutor

    llm = Llama(str(real_model_path), n_ctx=1024, n_threads=2, n_parallel=8)
    assert llm.context_params["flash_attn"] is None
    fmt = {"type": "json_object", "schema": Person.model_json_schema()}

    def reply(text: str) -> str:
        out = llm.create_chat_completion(messages_for(text), response_format=fmt, temperature=0, max_tokens=96)
        return out["choices"][0]["message"]["content"]

    texts = [text for _, text, _ in PEOPLE[:8]]
    alone = [reply(text) for text in texts]
    with ThreadPoolExecutor(len(texts)) as pool:
        together = list(pool.map(reply, texts))
    assert together == alone


def test_concurrent_extractions_equal_one_by_one(real_model_path: Path) -> None:
    """8 extractions at once on n_parallel=8 give exactly the one-by-one replies (and, on SmolLM2, the right ones)."""
    from concurrent.futures import ThreadPoolExecutor

    from langchain_llama_native import ChatLlamaCpp

    one = ChatLlamaCpp(model_path=str(real_model_path), n_ctx=1024, n_threads=2, temperature=0)
    many = ChatLlamaCpp(model_path=str(real_model_path), n_ctx=1024, n_threads=2, temperature=0, n_parallel=8)
    batch = PEOPLE[:8]
    alone = [one.with_structured_output(Person).invoke(messages_for(text)) for _, text, _ in batch]
    structured = many.with_structured_output(Person)
    with ThreadPoolExecutor(len(batch)) as pool:
        together = list(pool.map(lambda item: structured.invoke(messages_for(item[1])), batch))
    assert together == alone
    if ON_SMOLLM2:
        assert sum(is_right(p, item[2]) for p, item in zip(together, batch)) >= 7
