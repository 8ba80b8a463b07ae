"""LlamaIndex: LlamaCPP (chat, completion, tools, agents, structured output) and LlamaCPPEmbedding, fully offline.

Runs on the test models (or ``$LLAMA_NATIVE_TEST_MODEL``).  Semantic checks
(the agent picks the right tool, the answer uses the retrieved text) run only
on the real model (SmolLM2-135M-Instruct, or `$LLAMA_NATIVE_TEST_MODEL`); on random weights
the structural checks must hold.
"""


import asyncio
import re
from pathlib import Path
from enum import Enum
from typing import Annotated, Any, List, Optional

import jsonschema
import pytest
from llama_index.core import Document, VectorStoreIndex
from llama_index.core.agent.workflow import FunctionAgent
from llama_index.core.llms import ChatMessage
from llama_index.core.prompts import PromptTemplate
from llama_index.core.tools import FunctionTool
from pydantic import BaseModel, Field, StringConstraints, ValidationError

from llama_index.embeddings.llama_native import LlamaCPPEmbedding
from llama_index.llms.llama_native import LlamaCPP
from llama_native import OutputTruncatedError

from helpers import ENV_MODEL, MODEL_KINDS, model_path_for, no_eog_bias

Short = Annotated[str, StringConstraints(max_length=10)]
SEEDS = [1, 2, 3, 4]


class Kind(str, Enum):
    cat = "cat"
    dog = "dog"


class Pet(BaseModel):
    name: Short
    kind: Kind


class Owner(BaseModel):
    """A pet owner."""

    name: Short
    age: Optional[int] = Field(default=None, ge=0, le=120)
    pets: List[Pet] = Field(min_length=1, max_length=2)


def multiply(a: int, b: int) -> int:
    """Multiply two integers."""
    return a * b


def lookup(city: Short) -> str:
    """Population of a city."""
    return f"{city}: 1000"


@pytest.fixture(scope="module", params=MODEL_KINDS)
def llm(request: pytest.FixtureRequest) -> LlamaCPP:
    return LlamaCPP(model_path=str(model_path_for(request.param)), context_window=2048, max_new_tokens=200,
                    temperature=0.8, generate_kwargs={"seed": 11})


@pytest.fixture(scope="module")
def embed_model() -> LlamaCPPEmbedding:
    return LlamaCPPEmbedding(model_path=str(ENV_MODEL or model_path_for("llama-bpe")))


def test_constructor_takes_the_incumbent_parameters_and_loads_nothing(llm: LlamaCPP) -> None:
    other = LlamaCPP(model_path=llm.model_path, temperature=0.2, max_new_tokens=16, context_window=2048,
                     generate_kwargs={"top_k": 10}, model_kwargs={"n_batch": 256}, verbose=False,
                     system_prompt="Be brief.")
    assert other._client is None
    meta = other.metadata
    assert meta.is_chat_model and meta.is_function_calling_model and meta.num_output == 16
    assert meta.model_name == llm.model_path and meta.context_window == 2048
    other.complete("Hi")
    assert other.metadata.context_window == other.client.n_ctx() == 2048
    lazy = LlamaCPP(model_url="https://example.invalid/model.gguf")  # downloaded on first use, not here
    assert lazy._client is None and lazy.model_path is None
    with pytest.raises(ValidationError, match="not a file"):
        LlamaCPP(model_path="/nonexistent/model.gguf")


def test_chat_uses_the_model_template_and_messages_to_prompt_overrides_it(llm: LlamaCPP) -> None:
    messages = [ChatMessage(role="system", content="Be brief."), ChatMessage(role="user", content="Hello")]
    reply = llm.chat(messages, temperature=0, max_tokens=12)
    expected = llm.client.create_chat_completion([{"role": "system", "content": "Be brief."},
                                                  {"role": "user", "content": "Hello"}], temperature=0, max_tokens=12)
    assert reply.message.content == (expected["choices"][0]["message"]["content"] or "")
    for key in ("prompt_tokens", "completion_tokens"):  # (the second call reuses the cached prompt)
        assert reply.raw["usage"][key] == expected["usage"][key]
    custom = LlamaCPP(model_path=llm.model_path, context_window=2048, max_new_tokens=12, temperature=0,
                      messages_to_prompt=lambda ms: "|".join(m.content for m in ms) + ">")
    raw = custom.client.create_completion("Be brief.|Hello>", temperature=0, max_tokens=12)
    assert custom.chat(messages).message.content == raw["choices"][0]["text"]


def test_stream_equals_non_stream_for_chat_and_complete(llm: LlamaCPP) -> None:
    messages = [ChatMessage(role="user", content="Tell a story")]
    full = llm.chat(messages, temperature=0, max_tokens=20).message.content
    deltas = [r.delta for r in llm.stream_chat(messages, temperature=0, max_tokens=20)]
    assert "".join(deltas) == full and len(deltas) >= 2
    text = llm.complete("Tell a story", temperature=0, max_tokens=20).text
    assert [r.text for r in llm.stream_complete("Tell a story", temperature=0, max_tokens=20)][-1] == text
    assert text == full  # a chat model completes through its template


def test_async_streaming_yields_several_deltas_while_the_loop_runs(llm: LlamaCPP) -> None:
    async def run() -> tuple:
        ticks = 0
        deltas: List[str] = []

        async def heartbeat() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.001)

        beat = asyncio.ensure_future(heartbeat())
        async for response in await llm.astream_chat([ChatMessage(role="user", content="Go")], max_tokens=24, temperature=0):
            deltas.append(response.delta)
        completion = await llm.acomplete("Go", max_tokens=24, temperature=0)
        streamed = [r.delta async for r in await llm.astream_complete("Go", max_tokens=24, temperature=0)]
        beat.cancel()
        return deltas, completion.text, streamed, ticks

    deltas, text, streamed, ticks = asyncio.run(run())
    assert len([d for d in deltas if d]) >= 2 and "".join(deltas) == text == "".join(d or "" for d in streamed)
    assert ticks >= 3


def test_tools_required_give_valid_calls_and_predict_and_call_runs_them(llm: LlamaCPP) -> None:
    tools = [FunctionTool.from_defaults(fn=multiply), FunctionTool.from_defaults(fn=lookup)]
    schemas = {t.metadata.name: t.metadata.get_parameters_dict() for t in tools}
    completed = 0
    for seed in SEEDS:
        try:
            response = llm.chat_with_tools(tools, user_msg="What is 6 times 7?", tool_required=True, seed=seed)
        except OutputTruncatedError as exc:  # max_new_tokens cut the call: an error, never a reply without it
            assert "cut at max_new_tokens=200" in str(exc)
            continue
        if response.additional_kwargs.get("finish_reason") == "length":
            continue
        completed += 1
        calls = llm.get_tool_calls_from_response(response)
        assert len(calls) == 1  # allow_parallel_tool_calls=False by default
        for call in calls:
            assert call.tool_id and call.tool_name in schemas
            jsonschema.validate(call.tool_kwargs, schemas[call.tool_name])
    assert completed >= 1
    out = llm.predict_and_call([FunctionTool.from_defaults(fn=multiply)], user_msg="6 times 7?", tool_required=True)
    assert out.sources and out.sources[0].tool_name == "multiply"
    assert out.response == str(multiply(**out.sources[0].raw_input["kwargs"]))


def test_streamed_tool_calls_and_no_call_errors(llm: LlamaCPP) -> None:
    tool = FunctionTool.from_defaults(fn=multiply)
    last = None
    for last in llm.stream_chat_with_tools([tool], user_msg="6 times 7?", tool_required=True, temperature=0):
        pass
    assert last is not None
    if last.additional_kwargs.get("finish_reason") == "tool_calls":
        calls = llm.get_tool_calls_from_response(last)
        assert calls[0].tool_name == "multiply" and set(calls[0].tool_kwargs) == {"a", "b"}
    plain = llm.chat([ChatMessage(role="user", content="hi")], max_tokens=4)
    assert llm.get_tool_calls_from_response(plain, error_on_no_tool_call=False) == []
    with pytest.raises(ValueError, match="tool call"):
        llm.get_tool_calls_from_response(plain)


def test_function_agent_with_a_required_tool_gets_a_valid_call(llm: LlamaCPP) -> None:
    # one call per step: a random model, unlike a real one, may go on adding parallel calls until max_tokens
    agent = FunctionAgent(tools=[FunctionTool.from_defaults(fn=multiply)], llm=llm, allow_parallel_tool_calls=False,
                          initial_tool_choice="multiply", system_prompt="Use the tool.")

    async def run() -> Any:
        return await agent.run(user_msg="What is 6 times 7?", max_iterations=3)

    result = asyncio.run(run())
    calls = result.tool_calls
    assert calls and calls[0].tool_name == "multiply"
    assert calls[0].tool_output.content == str(multiply(**calls[0].tool_kwargs))


def test_structured_predict_returns_a_validated_nested_model(llm: LlamaCPP) -> None:
    prompt = PromptTemplate("Extract the owner from: {text}")
    completed = 0
    for seed in SEEDS:
        try:
            owner = llm.structured_predict(Owner, prompt, llm_kwargs={"seed": seed}, text="Ann, 30, has a cat Tom.")
        except OutputTruncatedError as exc:
            assert "cut at max_new_tokens=200 (200 completion tokens) before the Owner was complete" in str(exc)
            continue
        completed += 1
        assert isinstance(owner, Owner) and all(isinstance(p.kind, Kind) for p in owner.pets)
    assert completed >= 1
    owner = asyncio.run(llm.astructured_predict(Owner, prompt, llm_kwargs={"seed": 2}, text="Bo has a dog."))
    assert isinstance(owner, Owner)


def test_stream_structured_predict_ends_with_the_full_object(llm: LlamaCPP) -> None:
    prompt = PromptTemplate("Extract the pet from: {text}")
    partials = list(llm.stream_structured_predict(Pet, prompt, llm_kwargs={"temperature": 0}, text="Tom the cat"))
    assert partials and isinstance(partials[-1], Pet)
    final = llm.structured_predict(Pet, prompt, llm_kwargs={"temperature": 0}, text="Tom the cat")
    assert partials[-1] == final

    async def run() -> List[Any]:
        gen = await llm.astream_structured_predict(Pet, prompt, llm_kwargs={"temperature": 0}, text="Tom the cat")
        return [p async for p in gen]

    assert asyncio.run(run())[-1] == final


def test_as_structured_llm_constrains_chat(llm: LlamaCPP) -> None:
    structured = llm.as_structured_llm(Pet)
    reply = structured.chat([ChatMessage(role="user", content="Tom the cat")], temperature=0)
    assert isinstance(reply.raw, Pet) and Pet.model_validate_json(reply.message.content) == reply.raw


def test_vector_index_query_engine_runs_offline(llm: LlamaCPP, embed_model: LlamaCPPEmbedding) -> None:
    docs = [Document(text="The Eiffel Tower is in Paris."), Document(text="Mount Fuji is in Japan."),
            Document(text="The Colosseum is in Rome.")]
    index = VectorStoreIndex.from_documents(docs, embed_model=embed_model)
    engine = index.as_query_engine(llm=LlamaCPP(model_path=llm.model_path, context_window=2048, max_new_tokens=24),
                                   similarity_top_k=2)
    response = engine.query("Where is the Eiffel Tower?")
    assert len(response.source_nodes) == 2 and isinstance(response.response, str)
    assert {n.node.get_content() for n in response.source_nodes} <= {d.text for d in docs}


def test_embeddings_are_batched_and_async(embed_model: LlamaCPPEmbedding) -> None:
    texts = ["alpha", "beta", "gamma"]
    batch = embed_model.get_text_embedding_batch(texts)
    single = [embed_model.get_text_embedding(t) for t in texts]
    assert all(max(abs(x - y) for x, y in zip(a, b)) < 1e-3 for a, b in zip(batch, single))
    assert embed_model.get_query_embedding("alpha") == single[0]
    assert asyncio.run(embed_model.aget_text_embedding_batch(texts)) == batch
    assert asyncio.run(embed_model.aget_query_embedding("beta")) == single[1]
    assert abs(sum(x * x for x in single[0]) - 1.0) < 1e-4  # normalized by default


def test_the_agent_picks_the_right_tool_and_the_answer_uses_the_context(
    embed_model: LlamaCPPEmbedding, real_model_path: Path
) -> None:
    """On the real model (SmolLM2-135M-Instruct, or LLAMA_NATIVE_TEST_MODEL)."""
    llm = LlamaCPP(model_path=str(real_model_path), context_window=4096, max_new_tokens=128, temperature=0)
    tools = [FunctionTool.from_defaults(fn=multiply), FunctionTool.from_defaults(fn=lookup)]
    response = llm.chat_with_tools(tools, user_msg="What is 6 times 7? Use a tool.", tool_required=True)
    assert llm.get_tool_calls_from_response(response)[0].tool_name == "multiply"
    index = VectorStoreIndex.from_documents([Document(text="The secret code is PLUM-42.")], embed_model=embed_model)
    answer = index.as_query_engine(llm=llm).query("What is the secret code?")
    assert "PLUM-42" in str(answer)


# ------------------------------------------------------------------ replies cut by max_new_tokens (issue 31)
def _cut(max_tokens: int, what: str, name: str = "max_new_tokens") -> str:
    """The error message (a regex) for a reply cut at the limit ``name``."""
    return re.escape(f"the reply was cut at {name}={max_tokens} ({max_tokens} completion tokens) before {what} "
                     f"was complete: raise {name}")


def _limited(llm: LlamaCPP, max_new_tokens: int) -> LlamaCPP:
    """A greedy instance sharing ``llm``'s model, with another max_new_tokens."""
    return LlamaCPP(model_path=llm.model_path, context_window=2048, max_new_tokens=max_new_tokens, temperature=0,
                    generate_kwargs={"json_whitespace": "compact"})


def _drain(stream: Any) -> List[Any]:
    """Run an awaitable that gives an async generator, and drain it, on one event loop."""

    async def run() -> List[Any]:
        return [item async for item in await stream]

    return asyncio.run(run())


def test_a_cut_object_raises_from_every_structured_entry_point(llm: LlamaCPP) -> None:
    """Owner has a list of nested objects: a cut one is OutputTruncatedError (a ValueError), never a partial Owner."""
    cut = _limited(llm, 3)
    prompt = PromptTemplate("Extract the owner from: {text}")
    text = "Ann, 30, has a cat Tom."
    match = _cut(3, "the Owner")
    runs = {
        "structured_predict": lambda: cut.structured_predict(Owner, prompt, text=text),
        "astructured_predict": lambda: asyncio.run(cut.astructured_predict(Owner, prompt, text=text)),
        "stream_structured_predict": lambda: list(cut.stream_structured_predict(Owner, prompt, text=text)),
        "astream_structured_predict": lambda: _drain(cut.astream_structured_predict(Owner, prompt, text=text)),
        "as_structured_llm.chat": lambda: cut.as_structured_llm(Owner).chat([ChatMessage(role="user", content=text)]),
        "as_structured_llm.achat": lambda: asyncio.run(
            cut.as_structured_llm(Owner).achat([ChatMessage(role="user", content=text)])),
        "as_structured_llm.stream_chat": lambda: list(
            cut.as_structured_llm(Owner).stream_chat([ChatMessage(role="user", content=text)])),
    }
    for name, run in runs.items():
        with pytest.raises(OutputTruncatedError, match=match) as info:
            run()
        assert isinstance(info.value, ValueError) and info.value.completion_tokens == 3, name
    # a per-call max_tokens is named as given
    with pytest.raises(ValueError, match=_cut(5, "the Owner", "max_tokens")):
        cut.structured_predict(Owner, prompt, llm_kwargs={"max_tokens": 5}, text=text)
    # room enough: the whole, validated object
    owner = cut.structured_predict(Owner, prompt, llm_kwargs={"max_tokens": 1500}, text=text)
    assert isinstance(owner, Owner) and owner.pets
    assert list(cut.stream_structured_predict(Owner, prompt, llm_kwargs={"max_tokens": 1500}, text=text))[-1] == owner


def test_a_required_tool_call_cut_by_max_new_tokens_raises(llm: LlamaCPP) -> None:
    """chat_with_tools (all forms), predict_and_call, FunctionAgent's forced first call: never a reply without it."""
    cut = _limited(llm, 3)
    tools = [FunctionTool.from_defaults(fn=multiply)]
    required, named = _cut(3, "the tool call"), _cut(3, "the multiply call")
    with pytest.raises(OutputTruncatedError, match=required):
        cut.chat_with_tools(tools, user_msg="6 times 7?", tool_required=True)
    with pytest.raises(OutputTruncatedError, match=named):
        cut.chat_with_tools(tools, user_msg="6 times 7?", tool_choice="multiply")
    with pytest.raises(OutputTruncatedError, match=required):
        list(cut.stream_chat_with_tools(tools, user_msg="6 times 7?", tool_required=True))
    with pytest.raises(OutputTruncatedError, match=required):
        asyncio.run(cut.achat_with_tools(tools, user_msg="6 times 7?", tool_required=True))
    with pytest.raises(OutputTruncatedError, match=named):
        _drain(cut.astream_chat_with_tools(tools, user_msg="6 times 7?", tool_choice="multiply"))
    with pytest.raises(OutputTruncatedError, match=required):
        cut.predict_and_call(tools, user_msg="6 times 7?", tool_required=True)
    for streaming in (False, True):
        agent = FunctionAgent(tools=tools, llm=cut, initial_tool_choice="multiply", streaming=streaming)

        async def run() -> Any:
            return await agent.run(user_msg="What is 6 times 7?", max_iterations=2)

        with pytest.raises(OutputTruncatedError, match=named):
            asyncio.run(run())
    # under "auto" a text reply is an answer: cut, it comes back as one, never as a call
    auto = cut.chat_with_tools(tools, user_msg="hi")
    assert not cut.get_tool_calls_from_response(auto, error_on_no_tool_call=False)
    # room enough: the call
    whole = cut.chat_with_tools(tools, user_msg="6 times 7?", tool_required=True, max_tokens=1500)
    assert [c.tool_name for c in cut.get_tool_calls_from_response(whole)] == ["multiply"]


def test_a_call_cut_midway_under_auto_raises() -> None:
    """tool_choice="auto" (FunctionAgent's later steps): a reply cut inside a call it opened is not an answer."""
    from helpers import ForceText

    from llama_native.testing import real_tokenizer_model_path

    llm = LlamaCPP(model_path=str(real_tokenizer_model_path("qwen2")), context_window=1024, temperature=0,
                   max_new_tokens=9)
    tools = [FunctionTool.from_defaults(fn=multiply)]

    def force() -> Any:
        return ForceText(llm.client, "<tool_call>\n")

    match = _cut(9, "the tool call")
    with pytest.raises(OutputTruncatedError, match=match):
        llm.chat_with_tools(tools, user_msg="6 times 7?", logits_processor=force())
    with pytest.raises(OutputTruncatedError, match=match):
        list(llm.stream_chat_with_tools(tools, user_msg="6 times 7?", logits_processor=force()))
    with pytest.raises(OutputTruncatedError, match=match):
        asyncio.run(llm.achat_with_tools(tools, user_msg="6 times 7?", logits_processor=force()))
    whole = llm.chat_with_tools(tools, user_msg="6 times 7?", logits_processor=force(), max_tokens=400)
    assert [c.tool_name for c in llm.get_tool_calls_from_response(whole)] == ["multiply"]
    text = llm.chat_with_tools(tools, user_msg="hi", max_tokens=3)  # a cut text reply stays a reply
    assert text.additional_kwargs["finish_reason"] == "length"


def test_calls_completed_before_the_cut_are_kept() -> None:
    """As create_chat_completion (issue 16): a cut after a whole call keeps that call (finish_reason "length")."""
    llm = LlamaCPP(model_path=str(model_path_for(MODEL_KINDS[0])), context_window=2048, temperature=1.0,
                   max_new_tokens=300)
    tools = [FunctionTool.from_defaults(fn=multiply), FunctionTool.from_defaults(fn=lookup)]
    kwargs: dict = dict(user_msg="6 times 7, and Oslo", tool_required=True, allow_parallel_tool_calls=True)
    for seed in range(12):
        try:
            first = llm.chat_with_tools(tools, seed=seed, max_tool_calls=1, **kwargs)
        except OutputTruncatedError:
            continue
        if first.additional_kwargs["finish_reason"] != "tool_calls":
            continue
        n_first = first.raw["usage"]["completion_tokens"]
        try:
            cut = llm.chat_with_tools(tools, seed=seed, max_tool_calls=3, max_tokens=n_first + 3,
                                      logit_bias=no_eog_bias(llm.client), **kwargs)
        except RuntimeError as exc:  # the model closed the list of calls: only the (banned) end may follow
            assert "no token can follow" in str(exc)
            continue
        assert cut.additional_kwargs["finish_reason"] == "length"
        calls = [(c.tool_name, c.tool_kwargs) for c in llm.get_tool_calls_from_response(cut)]
        assert calls == [(c.tool_name, c.tool_kwargs) for c in llm.get_tool_calls_from_response(first)]
        return
    pytest.fail("no seed gave a second call to cut")
