"""ChatLlamaCpp beyond the standard suite: chains with structured output, every tool_choice, streaming, async, batching.

Runs on every test model (or ``$LLAMA_NATIVE_TEST_MODEL``).  A random model
may wander inside a string until ``max_tokens``; the schemas here bound their
strings, several seeds are sampled, and only completed outputs are checked,
each of which must validate.
"""

from __future__ import annotations

import asyncio
import json
import re
from enum import Enum
from typing import Annotated, Any, List, Optional

import jsonschema
import pytest
from langchain_core.exceptions import OutputParserException
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, SystemMessage, ToolMessage
from langchain_core.output_parsers import JsonOutputParser, PydanticOutputParser
from langchain_core.output_parsers.openai_tools import PydanticToolsParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.tools import tool
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import BaseModel, Field, StringConstraints, ValidationError
from typing_extensions import TypedDict

from langchain_llama_native import ChatLlamaCpp
from llama_native import OutputTruncatedError
from llama_native.model_pool import loaded_models

from helpers import MODEL_KINDS, ForceText, model_path_for, no_eog_bias

SEEDS = [1, 2, 3, 4]
Short = Annotated[str, StringConstraints(max_length=10)]


class Role(str, Enum):
    admin = "admin"
    guest = "guest"


class Address(BaseModel):
    city: Short
    zip: Optional[Annotated[str, StringConstraints(pattern=r"^[0-9]{5}$")]] = None


class Member(BaseModel):
    """A member of the team."""

    name: Short = Field(description="the member's first name")
    role: Role
    tags: List[Short] = Field(max_length=2)


class Team(BaseModel):
    """A team extracted from the text."""

    title: Short
    members: List[Member] = Field(min_length=1, max_length=2)
    address: Optional[Address] = None


@tool
def get_weather(city: Short, unit: Optional[Short] = None) -> str:
    """Weather in a city."""
    return f"sunny in {city}"


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


TOOL_SCHEMAS = {t.name: convert_to_openai_tool(t)["function"]["parameters"] for t in (get_weather, add)}


@pytest.fixture(scope="module", params=MODEL_KINDS)
def chat(request: pytest.FixtureRequest) -> ChatLlamaCpp:
    return ChatLlamaCpp(model_path=str(model_path_for(request.param)), n_ctx=2048, max_tokens=300, seed=7)


def _assert_valid_calls(message: AIMessage, allowed: List[str]) -> None:
    ids = [c["id"] for c in message.tool_calls]
    assert all(ids) and len(set(ids)) == len(ids)
    assert not message.invalid_tool_calls
    for call in message.tool_calls:
        assert call["name"] in allowed and call["type"] == "tool_call"
        jsonschema.validate(call["args"], TOOL_SCHEMAS[call["name"]])


def test_the_constructor_loads_nothing_and_instances_share_the_model(chat: ChatLlamaCpp) -> None:
    before = loaded_models().get(str(chat.model_path), 0)
    twin = ChatLlamaCpp(model_path=chat.model_path, n_ctx=2048, max_tokens=5, temperature=0)
    assert twin._client is None and loaded_models().get(str(chat.model_path), 0) == before
    assert twin.client is chat.client  # same file, same load parameters: one model
    other = ChatLlamaCpp(model_path=chat.model_path, n_ctx=1024)
    assert other.client is not chat.client


def test_chain_with_structured_output_returns_validated_nested_models(chat: ChatLlamaCpp) -> None:
    prompt = ChatPromptTemplate.from_messages([("system", "Extract the team."), ("human", "{text}")])
    completed = 0
    for seed in SEEDS:
        chain = prompt | chat.bind(seed=seed).with_structured_output(Team, include_raw=True)
        out = chain.invoke({"text": "The Owls: Ann (admin, tags: a, b) and Bo (guest) in Oslo."})
        raw: AIMessage = out["raw"]
        if raw.response_metadata["finish_reason"] == "length":
            assert isinstance(out["parsing_error"], OutputParserException)  # never a silently broken object
            continue
        completed += 1
        assert out["parsing_error"] is None
        team = out["parsed"]
        assert isinstance(team, Team) and all(isinstance(m.role, Role) for m in team.members)
        assert team == Team.model_validate_json(raw.content)
    assert completed >= 1


def test_structured_output_without_include_raw_is_the_instance(chat: ChatLlamaCpp) -> None:
    class Verdict(BaseModel):
        ok: bool
        score: int = Field(ge=0, le=9)

    verdict = (ChatPromptTemplate.from_template("{q}") | chat.with_structured_output(Verdict)).invoke({"q": "Rate it."})
    assert isinstance(verdict, Verdict) and 0 <= verdict.score <= 9


@pytest.mark.parametrize("method", ["json_schema", "function_calling"])
def test_typeddict_and_json_schema_dicts_give_dicts(chat: ChatLlamaCpp, method: str) -> None:
    class Pair(TypedDict):
        """Two numbers."""

        x: Annotated[int, ..., "the first"]
        y: Annotated[int, ..., "the second"]

    schema = {"title": "Pair", "description": "Two numbers.", "type": "object",
              "properties": {"x": {"type": "integer"}, "y": {"type": "integer"}}, "required": ["x", "y"]}
    for spec in (Pair, schema):
        out = chat.with_structured_output(spec, method=method).invoke("Give me two numbers.")
        assert isinstance(out, dict) and set(out) == {"x", "y"} and all(isinstance(v, int) for v in out.values())


def test_function_calling_method_forces_the_schema_tool(chat: ChatLlamaCpp) -> None:
    completed = 0
    for seed in SEEDS:
        structured = chat.bind(seed=seed).with_structured_output(Member, method="function_calling", include_raw=True)
        out = structured.invoke("Ann is an admin.")
        raw: AIMessage = out["raw"]
        if raw.response_metadata["finish_reason"] == "length":
            continue
        completed += 1
        assert [c["name"] for c in raw.tool_calls] == ["Member"] and isinstance(out["parsed"], Member)
    assert completed >= 1


def test_json_mode_gives_a_json_object(chat: ChatLlamaCpp) -> None:
    raw = chat.bind(response_format={"type": "json_object"}, max_tokens=60).invoke("JSON please.")
    if raw.response_metadata["finish_reason"] == "stop":
        assert isinstance(json.loads(raw.content), dict)
    with pytest.raises(ValueError, match="schema_prompt"):
        chat.with_structured_output(Member, method="json_mode", schema_prompt=True)


def test_schema_prompt_adds_the_field_descriptions_and_prop_order_orders_keys(chat: ChatLlamaCpp) -> None:
    plain = chat.with_structured_output(Member, include_raw=True).invoke("Ann")
    described = chat.with_structured_output(Member, include_raw=True, schema_prompt=True).invoke("Ann")
    assert described["raw"].usage_metadata["input_tokens"] > plain["raw"].usage_metadata["input_tokens"] + 10
    completed = 0
    for seed in SEEDS:
        out = chat.bind(seed=seed).with_structured_output(Member, include_raw=True, prop_order=["role", "tags"]).invoke("Ann")
        if out["parsed"] is not None:
            completed += 1
            assert list(json.loads(out["raw"].content)) == ["role", "tags", "name"]
    assert completed >= 1


@pytest.mark.parametrize("tool_choice", ["any", "required", True, "add", {"type": "function", "function": {"name": "add"}}])
def test_forced_tool_choices_always_give_valid_calls(chat: ChatLlamaCpp, tool_choice: Any) -> None:
    # one call per reply: a random model, unlike a real one, may go on adding parallel calls until max_tokens
    bound = chat.bind_tools([get_weather, add], tool_choice=tool_choice, parallel_tool_calls=False)
    completed = 0
    for seed in SEEDS:
        try:
            reply = bound.bind(seed=seed).invoke("What is 2 + 3?")
        except OutputParserException as exc:  # max_tokens cut the call: an error, never a reply without it
            assert "cut at max_tokens=300" in str(exc)
            continue
        if reply.response_metadata["finish_reason"] == "length":
            continue
        completed += 1
        assert reply.response_metadata["finish_reason"] == "tool_calls" and len(reply.tool_calls) == 1
        named = tool_choice in ("add",) or isinstance(tool_choice, dict)
        _assert_valid_calls(reply, ["add"] if named else ["add", "get_weather"])
    assert completed >= 1


def test_tool_choice_auto_and_none(chat: ChatLlamaCpp) -> None:
    for seed in SEEDS[:2]:
        auto = chat.bind_tools([get_weather, add], tool_choice="auto").bind(seed=seed, max_tokens=40).invoke("Hi")
        _assert_valid_calls(auto, ["add", "get_weather"])  # calls, if the model makes any, are valid
        none = chat.bind_tools([get_weather, add], tool_choice="none").bind(seed=seed, max_tokens=40).invoke("Hi")
        assert none.tool_calls == [] and none.response_metadata["finish_reason"] in ("stop", "length")


def test_parallel_calls_are_each_valid(chat: ChatLlamaCpp) -> None:
    for seed in SEEDS[:2]:
        try:
            bound = chat.bind_tools([add, get_weather], tool_choice="any").bind(seed=seed, max_tokens=150)
            reply = bound.invoke("2+3, 4+4")
        except OutputParserException as exc:  # max_tokens cut the first call
            assert "cut at max_tokens=150" in str(exc)
            continue
        if reply.response_metadata["finish_reason"] != "length":
            assert len(reply.tool_calls) >= 1
            _assert_valid_calls(reply, ["add", "get_weather"])


def test_bind_tools_rejects_unknown_tool_names(chat: ChatLlamaCpp) -> None:
    with pytest.raises(ValueError, match="not among the bound tools"):
        chat.bind_tools([add], tool_choice="subtract")


def test_streamed_tool_calls_arrive_as_tool_call_chunks_equal_to_invoke(chat: ChatLlamaCpp) -> None:
    bound = chat.bind_tools([add], tool_choice="add", parallel_tool_calls=False).bind(seed=3, temperature=0)
    reply = bound.invoke("2+3")
    chunks = list(bound.stream("2+3"))
    full = chunks[0]
    for chunk in chunks[1:]:
        full = full + chunk
    assert full.tool_calls == [] or any(c.tool_call_chunks for c in chunks)
    assert [(c["name"], c["args"]) for c in full.tool_calls] == [(c["name"], c["args"]) for c in reply.tool_calls]


def test_stream_equals_invoke_and_usage_is_true(chat: ChatLlamaCpp) -> None:
    greedy = chat.bind(temperature=0, max_tokens=24)
    reply = greedy.invoke("Tell me a story.")
    chunks = list(greedy.stream("Tell me a story."))
    assert "".join(c.content for c in chunks) == reply.content
    final = [c for c in chunks if c.usage_metadata]
    assert len(final) == 1 and final[0].usage_metadata["output_tokens"] == reply.usage_metadata["output_tokens"]
    expected = chat.client.create_chat_completion([{"role": "user", "content": "Tell me a story."}],
                                                  temperature=0, max_tokens=24)["usage"]
    assert reply.usage_metadata["input_tokens"] == expected["prompt_tokens"]
    assert reply.usage_metadata["output_tokens"] == expected["completion_tokens"] <= 24
    assert reply.response_metadata["model_name"] == chat.model_path


def test_async_stream_yields_several_chunks_before_the_end(chat: ChatLlamaCpp) -> None:
    async def run() -> List[AIMessageChunk]:
        chunks = []
        async for chunk in chat.bind(max_tokens=16, temperature=0).astream("Count to ten."):
            chunks.append(chunk)
        return chunks

    chunks = asyncio.run(run())
    before_end = [c for c in chunks if c.content and not c.response_metadata.get("finish_reason")]
    assert len(before_end) >= 2
    assert chunks[-1].chunk_position == "last" or chunks[-1].response_metadata.get("finish_reason")


def test_async_invoke_keeps_the_event_loop_running(chat: ChatLlamaCpp) -> None:
    async def run() -> int:
        ticks = 0
        task = asyncio.ensure_future(chat.bind(max_tokens=48, temperature=0).ainvoke("Talk."))
        while not task.done():
            ticks += 1
            await asyncio.sleep(0.001)
        assert isinstance(task.result(), AIMessage)
        return ticks

    assert asyncio.run(run()) >= 3


def test_batch_and_abatch_equal_one_by_one(chat: ChatLlamaCpp) -> None:
    greedy = chat.bind(temperature=0, max_tokens=12)
    prompts = ["one", "two", "three", "four"]
    single = [greedy.invoke(p).content for p in prompts]
    assert [m.content for m in greedy.batch(prompts, config={"max_concurrency": 4})] == single
    assert [m.content for m in asyncio.run(greedy.abatch(prompts))] == single


def test_a_conversation_with_tool_results_renders(chat: ChatLlamaCpp) -> None:
    history = [
        SystemMessage("You add numbers."), HumanMessage("2+3?"),
        AIMessage("", tool_calls=[{"name": "add", "args": {"a": 2, "b": 3}, "id": "call_1", "type": "tool_call"}]),
        ToolMessage("5", tool_call_id="call_1"), HumanMessage("and 5+5?"),
    ]
    reply = chat.bind_tools([add]).bind(max_tokens=20).invoke(history)
    assert isinstance(reply, AIMessage) and reply.usage_metadata["input_tokens"] > 20


def test_bad_parameters_raise_clear_errors(chat: ChatLlamaCpp, tmp_path: Any) -> None:
    with pytest.raises(ValidationError, match="not a file"):
        ChatLlamaCpp(model_path=str(tmp_path / "missing.gguf"))
    with pytest.raises(ValidationError, match="lora_base"):
        ChatLlamaCpp(model_path=chat.model_path, lora_base="base.gguf")
    with pytest.raises(ValidationError, match="n_ctxx"):
        ChatLlamaCpp(model_path=chat.model_path, n_ctxx=5)
    with pytest.raises(ValidationError, match="grammar"):
        ChatLlamaCpp(model_path=chat.model_path, grammar="root ::= oops(")
    with pytest.raises(ValueError, match="context window"):
        chat.bind(max_tokens=1).invoke("word " * 5000)
    with pytest.raises(ValueError, match="no projector to read them: load it with .*mmproj_path"):
        chat.invoke([HumanMessage(content=[{"type": "image_url", "image_url": {"url": "x"}}])])
    with pytest.raises(ValueError, match="content blocks of type 'audio' are not supported"):
        chat.invoke([HumanMessage(content=[{"type": "audio", "base64": "AAAA", "mime_type": "audio/wav"}])])


def test_grammar_field_constrains_every_reply(chat: ChatLlamaCpp) -> None:
    yes_no = ChatLlamaCpp(model_path=chat.model_path, n_ctx=2048, grammar='root ::= "yes" | "no"', max_tokens=4)
    assert yes_no.invoke("Well?").content in ("yes", "no")
    # a structured request replaces the default grammar
    out = yes_no.bind(max_tokens=200).with_structured_output(Address, include_raw=True).invoke("Oslo")
    assert out["raw"].content not in ("yes", "no")


# ------------------------------------------------------------------ replies cut by max_tokens (issue 31)
class Names(BaseModel):
    """Names: a list that langchain-core's parser, given a cut reply, closes into an object that validates."""

    names: List[Short] = Field(min_length=1, max_length=3)


METHODS = ["json_schema", "function_calling", "json_mode"]
NO_CUT = "under json_mode this random model answers {} (one token of its vocabulary) at once: nothing to cut"
TEXT = "Ann, Bo and Cy."


def _cut(max_tokens: int, what: str) -> str:
    """The error message (a regex) for a reply cut at max_tokens."""
    return re.escape(f"the reply was cut at max_tokens={max_tokens} ({max_tokens} completion tokens) before {what} "
                     "was complete: raise max_tokens")


def _limited(chat: ChatLlamaCpp, max_tokens: Any, seed: Optional[int] = None) -> ChatLlamaCpp:
    """An instance sharing ``chat``'s model with another max_tokens (with_structured_output does not see bind()).

    Greedy, or sampled with ``seed`` (json_mode: a greedy random model may answer ``{}`` at once).
    """
    return ChatLlamaCpp(model_path=chat.model_path, n_ctx=2048, max_tokens=max_tokens, json_whitespace="compact",
                        temperature=0 if seed is None else 1.0, seed=-1 if seed is None else seed)


def _cut_runnable(chat: ChatLlamaCpp, method: str, schema: Any, max_tokens: int) -> Any:
    """``with_structured_output`` on an instance whose reply to TEXT is cut (json_mode: on the first seed that cuts)."""
    for seed in [None] if method != "json_mode" else range(1, 30):
        limited = _limited(chat, max_tokens, seed)
        raw = limited.with_structured_output(schema, method=method, include_raw=True).invoke(TEXT)["raw"]
        if raw.response_metadata["finish_reason"] == "length":
            return limited.with_structured_output(schema, method=method)
    pytest.skip(NO_CUT) if method == "json_mode" else pytest.fail("no reply was cut")


def _schema_for(method: str, model: type) -> Any:
    """json_mode gets the JSON schema dict (any object comes back as a dict), the others the pydantic class."""
    return model.model_json_schema() if method == "json_mode" else model


def _what(method: str, name: str) -> str:
    return f"the {name} call" if method == "function_calling" else f"the {name}"


def _accepted_by_the_parser_alone(raw: AIMessage, method: str) -> bool:
    """Whether langchain-core's parser, without the cut check, turns this cut reply into a value (or None) silently."""
    parser: Any = {"json_schema": PydanticOutputParser(pydantic_object=Names), "json_mode": JsonOutputParser(),
                   "function_calling": PydanticToolsParser(tools=[Names], first_tool_only=True)}[method]
    try:
        parser.invoke(raw)
    except OutputParserException:
        return False
    return True


async def _alist(chunks: Any) -> List[Any]:
    return [c async for c in chunks]


@pytest.mark.parametrize("method", METHODS)
def test_a_structured_reply_cut_by_max_tokens_is_an_error_never_a_half_filled_object(chat: ChatLlamaCpp,
                                                                                     method: str) -> None:
    """Each cut is a parsing_error naming max_tokens; the parser alone would have let some through silently."""
    cuts = silent = 0
    for max_tokens in range(3, 12):
        seed = max_tokens if method == "json_mode" else None  # any object may be {}: sample, on several seeds
        out = _limited(chat, max_tokens, seed).with_structured_output(
            _schema_for(method, Names), method=method, include_raw=True).invoke(TEXT)
        raw: AIMessage = out["raw"]
        if raw.response_metadata["finish_reason"] != "length":  # a big-vocabulary tokenizer may finish early
            assert out["parsing_error"] is None and out["parsed"] is not None
            continue
        cuts += 1
        assert out["parsed"] is None and isinstance(out["parsing_error"], OutputParserException)
        assert re.search(_cut(max_tokens, _what(method, "Names")), str(out["parsing_error"]))
        assert isinstance(out["parsing_error"].__cause__, OutputTruncatedError)
        assert raw.response_metadata["max_tokens"] == max_tokens == raw.usage_metadata["output_tokens"]
        assert out["parsing_error"].llm_output == raw.content
        silent += _accepted_by_the_parser_alone(raw, method)
    if method == "json_mode" and cuts == 0:
        pytest.skip(NO_CUT)
    assert cuts >= (3 if method == "json_mode" else 5) and silent >= 1


@pytest.mark.parametrize("method", METHODS)
def test_a_cut_nested_structured_reply_raises_invoked_streamed_and_async(chat: ChatLlamaCpp, method: str) -> None:
    structured = _cut_runnable(chat, method, _schema_for(method, Team), 3)
    match = _cut(3, _what(method, "Team"))
    with pytest.raises(OutputParserException, match=match):
        structured.invoke(TEXT)
    with pytest.raises(OutputParserException, match=match):
        list(structured.stream(TEXT))
    with pytest.raises(OutputParserException, match=match):
        asyncio.run(structured.ainvoke(TEXT))
    with pytest.raises(OutputParserException, match=match):
        asyncio.run(_alist(structured.astream(TEXT)))
    assert structured.batch([TEXT, TEXT], return_exceptions=True)[0].__class__ is OutputParserException


@pytest.mark.parametrize("method", ["json_schema", "function_calling"])
def test_a_generous_max_tokens_gives_the_whole_nested_object(chat: ChatLlamaCpp, method: str) -> None:
    structured = _limited(chat, 1500).with_structured_output(Team, method=method)
    team = structured.invoke(TEXT)
    assert isinstance(team, Team) and team.members
    assert asyncio.run(_alist(structured.astream(TEXT)))[-1] == team  # greedy: the same object, streamed


def test_a_reply_cut_by_the_end_of_the_context_says_so(chat: ChatLlamaCpp) -> None:
    unbounded = _limited(chat, None)
    words = ["word"] * 2000
    while unbounded.get_num_tokens(" ".join(words)) > 2048 - 40:
        words = words[:-10]
    left = 2048 - chat.bind(max_tokens=1).invoke(" ".join(words)).usage_metadata["input_tokens"]
    while left > 5:  # leave a few tokens, too few for the object
        words.append("word")
        left = 2048 - chat.bind(max_tokens=1).invoke(" ".join(words)).usage_metadata["input_tokens"]
    out = unbounded.with_structured_output(Names, include_raw=True).invoke(" ".join(words))
    raw: AIMessage = out["raw"]
    assert raw.response_metadata["finish_reason"] == "length" and raw.response_metadata["max_tokens"] is None
    tokens = raw.usage_metadata["output_tokens"]
    assert 0 < tokens < 100 and out["parsed"] is None
    assert f"cut by the end of the context ({tokens} completion tokens) before the Names was complete: load the " \
        "model with a larger context (n_ctx)" in str(out["parsing_error"])


@pytest.mark.parametrize("tool_choice", ["any", "add"])
def test_a_required_tool_call_cut_by_max_tokens_raises(chat: ChatLlamaCpp, tool_choice: str) -> None:
    """No partial call, and no reply without the call that was required: OutputParserException naming max_tokens."""
    bound = chat.bind_tools([add, get_weather], tool_choice=tool_choice).bind(max_tokens=3, temperature=0)
    match = _cut(3, "the add call" if tool_choice == "add" else "the tool call")
    with pytest.raises(OutputParserException, match=match) as info:
        bound.invoke("What is 2 + 3?")
    assert isinstance(info.value.__cause__, OutputTruncatedError) and info.value.__cause__.completion_tokens == 3
    with pytest.raises(OutputParserException, match=match):
        list(bound.stream("What is 2 + 3?"))
    with pytest.raises(OutputParserException, match=match):
        asyncio.run(bound.ainvoke("What is 2 + 3?"))
    with pytest.raises(OutputParserException, match=match):
        asyncio.run(_alist(bound.astream("What is 2 + 3?")))
    whole = chat.bind_tools([add, get_weather], tool_choice=tool_choice, parallel_tool_calls=False).bind(
        max_tokens=1500, temperature=0).invoke("What is 2 + 3?")
    assert whole.response_metadata["finish_reason"] == "tool_calls" and len(whole.tool_calls) == 1
    # under "auto" a text reply is an answer: cut, it comes back as one (finish_reason "length"), never as a call
    auto = chat.bind_tools([add, get_weather], tool_choice="auto").bind(max_tokens=3, temperature=0).invoke("Hi")
    assert not auto.tool_calls and auto.response_metadata["finish_reason"] in ("stop", "length")


def test_a_call_cut_midway_under_auto_raises_instead_of_returning_its_text() -> None:
    """tool_choice="auto": a reply cut inside a call the model opened is not an answer (issue 31)."""
    from llama_native.testing import real_tokenizer_model_path

    chat = ChatLlamaCpp(model_path=str(real_tokenizer_model_path("qwen2")), n_ctx=1024)
    bound = chat.bind_tools([add], tool_choice="auto")

    def opened(max_tokens: int) -> Any:  # a fresh processor per request
        return bound.bind(max_tokens=max_tokens, temperature=0,
                          logits_processor=ForceText(chat.client, "<tool_call>\n"))

    match = _cut(9, "the tool call")
    with pytest.raises(OutputParserException, match=match):
        opened(9).invoke("What is 2 + 3?")
    with pytest.raises(OutputParserException, match=match):
        list(opened(9).stream("What is 2 + 3?"))
    with pytest.raises(OutputParserException, match=match):
        asyncio.run(opened(9).ainvoke("What is 2 + 3?"))
    with pytest.raises(OutputParserException, match=match):
        asyncio.run(_alist(opened(9).astream("What is 2 + 3?")))
    whole = opened(400).invoke("What is 2 + 3?")
    assert [c["name"] for c in whole.tool_calls] == ["add"]
    text = bound.bind(max_tokens=3, temperature=0).invoke("Hi")  # a cut text reply stays a reply
    assert not text.tool_calls and text.response_metadata["finish_reason"] == "length"


def test_calls_completed_before_the_cut_are_returned_not_refused() -> None:
    """As create_chat_completion (issue 16): a cut after a whole call keeps that call, finish_reason "length".

    On the first model: the chat layer keeps them on every template (tests/chat); this is the LangChain path.
    """
    chat = ChatLlamaCpp(model_path=str(model_path_for(MODEL_KINDS[0])), n_ctx=2048)
    bound = chat.bind_tools([add, get_weather], tool_choice="any").bind(temperature=1.0)
    for seed in range(12):
        try:
            first = bound.bind(seed=seed, max_tool_calls=1, max_tokens=300).invoke("2+3, then 4+4")
        except OutputParserException:
            continue  # the random model's one call did not fit
        if first.response_metadata["finish_reason"] != "tool_calls":
            continue
        # the same tokens up to the end of the first call; then, with the end banned, a second call starts
        cut = bound.bind(seed=seed, max_tool_calls=3, max_tokens=first.usage_metadata["output_tokens"] + 3,
                         logit_bias=no_eog_bias(chat.client))
        try:
            reply = cut.invoke("2+3, then 4+4")
        except RuntimeError as exc:  # the model closed the list of calls: only the (banned) end may follow
            assert "no token can follow" in str(exc)
            continue
        assert reply.response_metadata["finish_reason"] == "length"
        assert [(c["name"], c["args"]) for c in reply.tool_calls] == [(c["name"], c["args"]) for c in first.tool_calls]
        streamed = list(cut.stream("2+3, then 4+4"))
        merged = streamed[0]
        for chunk in streamed[1:]:
            merged = merged + chunk
        assert [(c["name"], c["args"]) for c in merged.tool_calls] == [(c["name"], c["args"]) for c in first.tool_calls]
        return
    pytest.fail("no seed gave a second call to cut")
