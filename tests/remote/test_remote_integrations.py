"""The LangChain and LlamaIndex classes with ``base_url=``: the same code as in process, on a llama-server.

The server (built from the pinned source, on loopback) serves the real model
(SmolLM2-135M-Instruct, or ``LLAMA_NATIVE_TEST_MODEL``).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated, Any

import jsonschema
import pytest
from langchain_core.exceptions import OutputParserException
from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_core.tools import tool
from pydantic import BaseModel, Field, StringConstraints

from langchain_llama_native import ChatLlamaCpp, LlamaCpp

Short = Annotated[str, StringConstraints(max_length=16)]


class Person(BaseModel):
    """A person mentioned in the text."""

    name: Short = Field(description="the person's full name")
    age: int = Field(ge=0, le=130)


@tool
def get_weather(city: Short) -> str:
    """Current weather of a city."""
    return f"Sunny in {city}"


@tool
def get_time(city: Short) -> str:
    """Local time in a city."""
    return "12:00"


TEXT = "Ana Costa is 41 and lives in Porto."


@pytest.fixture(scope="module")
def one_slot_server(real_model_path: Path) -> Any:
    """A llama-server with one slot: requests reuse its prompt cache in turn, so greedy repeats are exact."""
    from llama_native.llama_cpp_tools import LlamaServer

    with LlamaServer(real_model_path, threads=2, n_ctx=2048, args=["-np", "1"]) as server:
        yield server


@pytest.fixture(scope="module")
def chat(one_slot_server: Any) -> ChatLlamaCpp:
    return ChatLlamaCpp(base_url=one_slot_server.base_url, temperature=0, max_tokens=64, request_timeout=120)


@pytest.fixture(scope="module")
def local_chat(real_model_path: Path) -> ChatLlamaCpp:
    return ChatLlamaCpp(model_path=str(real_model_path), temperature=0, max_tokens=64, n_ctx=2048,
                        model_kwargs={"grammar_engine": "gbnf"})  # fmt: skip


def test_invoke_stream_batch_and_async(chat: ChatLlamaCpp) -> None:
    chat.invoke("Hello")  # warms the server's prompt cache: the calls below reuse the same prefix
    reply = chat.invoke("Hello")
    assert isinstance(reply, AIMessage) and reply.content
    assert reply.response_metadata["finish_reason"] in ("stop", "length")
    usage = reply.usage_metadata
    assert usage and usage["input_tokens"] > 0 and usage["output_tokens"] > 0
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]
    chunks = list(chat.stream("Hello"))
    assert all(isinstance(c, AIMessageChunk) for c in chunks)
    assert "".join(str(c.content) for c in chunks) == reply.content
    assert [r.content for r in chat.batch(["Hello", "Hello"])] == [reply.content, reply.content]
    assert asyncio.run(chat.ainvoke("Hello")).content == reply.content

    async def astream() -> str:
        return "".join([str(c.content) async for c in chat.astream("Hello")])

    assert asyncio.run(astream()) == reply.content


@pytest.mark.parametrize("method", ["json_schema", "function_calling", "json_mode"])
def test_with_structured_output_matches_in_process(chat: ChatLlamaCpp, local_chat: ChatLlamaCpp, method: str) -> None:
    kwargs: dict[str, Any] = {"method": method, "include_raw": True}
    theirs = chat.with_structured_output(Person, **kwargs).invoke(f"Extract: {TEXT}")
    ours = local_chat.with_structured_output(Person, **kwargs).invoke(f"Extract: {TEXT}")
    if method == "json_mode":  # any JSON object, maybe cut by max_tokens: parsing to Person may fail alike
        assert theirs["raw"].content == ours["raw"].content
    else:
        assert theirs["parsing_error"] is None and isinstance(theirs["parsed"], Person)
        assert theirs["parsed"] == ours["parsed"]


def test_structured_output_with_prop_order_and_schema_prompt(chat: ChatLlamaCpp) -> None:
    runnable = chat.with_structured_output(Person, prop_order=["age"], schema_prompt=True, include_raw=True)
    out = runnable.invoke(f"Extract: {TEXT}")
    assert list(json.loads(str(out["raw"].content))) == ["age", "name"]
    assert isinstance(out["parsed"], Person)


@pytest.mark.parametrize("tool_choice", ["auto", "any", "required", True, "get_time", "none"])
def test_bind_tools_with_every_tool_choice(chat: ChatLlamaCpp, tool_choice: Any) -> None:
    reply = chat.bind_tools([get_weather, get_time], tool_choice=tool_choice).invoke("Weather in Porto?")
    if tool_choice == "none":
        assert not reply.tool_calls
        return
    if tool_choice != "auto":  # a call, then maybe the start of another cut by max_tokens
        assert reply.tool_calls and reply.response_metadata["finish_reason"] in ("tool_calls", "length")
    for call in reply.tool_calls:
        expected = "get_time" if tool_choice == "get_time" else call["name"]
        assert call["name"] == expected and call["name"] in ("get_weather", "get_time")
        jsonschema.validate(call["args"], {"type": "object", "properties": {"city": {"type": "string"}},
                                           "required": ["city"]})  # fmt: skip


def test_a_reply_cut_by_max_tokens_raises_as_in_process(one_slot_server: Any) -> None:
    """A structured reply or a required call cut on the server: OutputParserException naming max_tokens."""
    cut = ChatLlamaCpp(base_url=one_slot_server.base_url, temperature=0, max_tokens=4, request_timeout=120)
    for method, what in (("json_schema", "the Person"), ("function_calling", "the Person call")):
        out = cut.with_structured_output(Person, method=method, include_raw=True).invoke(f"Extract: {TEXT}")
        assert out["parsed"] is None and isinstance(out["parsing_error"], OutputParserException)
        assert f"cut at max_tokens=4 (4 completion tokens) before {what} was complete" in str(out["parsing_error"])
    with pytest.raises(OutputParserException, match="before the get_time call was complete"):
        list(cut.bind_tools([get_weather, get_time], tool_choice="get_time").stream("Time in Porto?"))


def test_text_completion_llm(llama_server: Any) -> None:
    llm = LlamaCpp(base_url=llama_server.base_url, temperature=0, max_tokens=12, grammar='root ::= "yes" | "no"')
    assert llm.invoke("Is Porto in Portugal?") in ("yes", "no")
    assert "".join(llm.stream("Is Porto in Portugal?")) == llm.invoke("Is Porto in Portugal?")


def test_in_process_settings_with_base_url_are_refused(llama_server: Any) -> None:
    with pytest.raises(ValueError, match="n_gpu_layers"):
        ChatLlamaCpp(base_url=llama_server.base_url, n_gpu_layers=10)
    with pytest.raises(ValueError, match="flash_attn"):
        ChatLlamaCpp(base_url=llama_server.base_url, model_kwargs={"flash_attn": True})


def test_llama_index_llm_on_the_server(llama_server: Any, real_model_path: Path) -> None:
    from llama_index.core.llms import ChatMessage
    from llama_index.core.tools import FunctionTool

    from llama_index.llms.llama_native import LlamaCPP

    llm = LlamaCPP(base_url=llama_server.base_url, temperature=0, max_new_tokens=48)
    messages = [ChatMessage(role="user", content="Hello")]
    reply = llm.chat(messages)
    assert reply.message.content
    assert "".join(r.delta or "" for r in llm.stream_chat(messages)) == reply.message.content
    assert asyncio.run(llm.achat(messages)).message.content == reply.message.content
    assert llm.metadata.context_window > 0
    person = llm.structured_predict(Person, _prompt(f"Extract: {TEXT}"))
    assert isinstance(person, Person)

    def add(a: int, b: int) -> int:
        """Add two integers."""
        return a + b

    response = llm.chat_with_tools([FunctionTool.from_defaults(fn=add)], user_msg="1 plus 2?", tool_required=True)
    calls = llm.get_tool_calls_from_response(response, error_on_no_tool_call=False)
    assert [c.tool_name for c in calls] == ["add"]
    assert set(calls[0].tool_kwargs) == {"a", "b"}


def _prompt(text: str) -> Any:
    from llama_index.core.prompts import PromptTemplate

    return PromptTemplate(text.replace("{", "{{").replace("}", "}}"))


def test_langchain_and_llama_index_embeddings_on_a_server_equal_in_process(real_model_path: Path) -> None:
    import math

    from langchain_llama_native import LlamaCppEmbeddings
    from llama_index.embeddings.llama_native import LlamaCPPEmbedding
    from llama_native import LLAMA_POOLING_TYPE_MEAN, Llama
    from llama_native.llama_cpp_tools import LlamaServer

    texts = ["Ana Costa lives in Porto.", "The weather is sunny."]
    local = Llama(str(real_model_path), embedding=True, pooling_type=LLAMA_POOLING_TYPE_MEAN, n_ctx=512, flash_attn=None)
    expected = local.embed(texts, normalize=True)
    with LlamaServer(real_model_path, threads=2, n_ctx=512, args=["--embeddings", "--pooling", "mean"]) as server:
        embeddings = LlamaCppEmbeddings(base_url=server.base_url, normalize=True)
        got = embeddings.embed_documents(texts)
        assert embeddings.embed_query(texts[0]) == got[0]
        assert asyncio.run(embeddings.aembed_query(texts[0])) == got[0]
        index_embedding = LlamaCPPEmbedding(base_url=server.base_url)  # LlamaIndex's, over the same server
        assert index_embedding.get_text_embedding_batch(texts) == got
        assert asyncio.run(index_embedding.aget_query_embedding(texts[0])) == got[0]
    for ours, theirs in zip(expected, got):
        assert len(ours) == len(theirs)
        cosine = sum(a * b for a, b in zip(ours, theirs))
        assert math.isclose(cosine, 1.0, abs_tol=1e-4)
