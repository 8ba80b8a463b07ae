"""The server with real clients on loopback: the openai SDK, instructor, LangChain's ChatOpenAI, LlamaIndex's OpenAILike.

What must hold whatever the weights: the OpenAI shapes, streaming equal to
non-streaming, tool calls and JSON valid for their schemas, usage counts.
"""

from __future__ import annotations

import asyncio
import json
from typing import Literal

import httpx
import jsonschema
import openai
import pytest
from pydantic import BaseModel, Field

from conftest import Served

MESSAGES = [{"role": "user", "content": "Name a city and a country."}]
SCHEMA = {
    "type": "object",
    "properties": {
        "city": {"type": "string", "maxLength": 12},
        "size": {"enum": ["small", "big"]},
        "rank": {"type": "integer", "minimum": 1, "maximum": 9},
    },
    "required": ["city", "size", "rank"],
    "additionalProperties": False,
}
TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather in a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string", "maxLength": 12}, "unit": {"enum": ["c", "f"]}},
            "required": ["city", "unit"],
        },
    },
}


class Place(BaseModel):
    city: str = Field(max_length=12)
    size: Literal["small", "big"]
    rank: int = Field(ge=1, le=9)


def client(server: Served) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.v1, api_key=server.api_key or "none", max_retries=0)


def test_models_health_and_metrics(server: Served) -> None:
    assert [m.id for m in client(server).models.list()] == ["local"]
    assert httpx.get(server.url + "/health").json()["status"] == "ok"
    client(server).chat.completions.create(model="local", messages=MESSAGES, max_tokens=2)
    text = httpx.get(server.url + "/metrics").text
    assert 'llama_native_requests_total{route="chat",status="200"}' in text
    assert "llama_native_completion_tokens_total" in text and "llama_native_queue_length" in text
    assert httpx.get(server.url + "/docs").status_code == 200


@pytest.mark.parametrize("seed", [1, 2])
def test_chat_stream_equals_whole_and_usage_is_true(server: Served, seed: int) -> None:
    c = client(server)
    whole = c.chat.completions.create(model="local", messages=MESSAGES, max_tokens=12, seed=seed, temperature=0.7)
    chunks = list(
        c.chat.completions.create(
            model="local", messages=MESSAGES, max_tokens=12, seed=seed, temperature=0.7, stream=True,
            stream_options={"include_usage": True},
        )
    )  # fmt: skip
    text = "".join(ch.choices[0].delta.content or "" for ch in chunks if ch.choices)
    assert text == (whole.choices[0].message.content or "")
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens == whole.usage.completion_tokens
    assert whole.usage.total_tokens == whole.usage.prompt_tokens + whole.usage.completion_tokens
    assert whole.model == "local"


def test_json_schema_strict_and_json_object(server: Served) -> None:
    c = client(server)
    completed = 0
    for seed in range(3):
        out = c.chat.completions.create(
            model="local", messages=MESSAGES, max_tokens=200, seed=seed, extra_body={"json_whitespace": "compact"},
            response_format={"type": "json_schema", "json_schema": {"name": "place", "schema": SCHEMA, "strict": True}},
        )  # fmt: skip
        if out.choices[0].finish_reason == "stop":
            jsonschema.validate(json.loads(out.choices[0].message.content), SCHEMA)
            completed += 1
    assert completed >= 1  # bounded strings: outputs complete
    obj = c.chat.completions.create(
        model="local", messages=MESSAGES, max_tokens=60, response_format={"type": "json_object"}
    )
    if obj.choices[0].finish_reason == "stop":
        assert isinstance(json.loads(obj.choices[0].message.content), dict)


def test_tools_required_and_named(server: Served) -> None:
    c = client(server)
    completed = 0
    for seed in range(3):  # a random model may write whitespace until max_tokens: count the completed calls
        out = c.chat.completions.create(model="local", messages=MESSAGES, tools=[TOOL], tool_choice="required",
                                        max_tokens=400, seed=seed)  # fmt: skip
        if out.choices[0].finish_reason == "length":
            continue
        call = out.choices[0].message.tool_calls[0]
        assert out.choices[0].finish_reason == "tool_calls" and call.function.name == "get_weather"
        jsonschema.validate(json.loads(call.function.arguments), TOOL["function"]["parameters"])
        completed += 1
    assert completed >= 1
    named = c.chat.completions.create(
        model="local", messages=MESSAGES, tools=[TOOL], max_tokens=400, seed=0,
        tool_choice={"type": "function", "function": {"name": "get_weather"}}, parallel_tool_calls=False,
    )  # fmt: skip
    assert named.choices[0].finish_reason == "length" or len(named.choices[0].message.tool_calls) == 1


def test_async_client_and_n_choices(server: Served) -> None:
    async def main() -> list[str]:
        c = openai.AsyncOpenAI(base_url=server.v1, api_key="none", max_retries=0)
        outs = await asyncio.gather(
            *[c.chat.completions.create(model="local", messages=MESSAGES, max_tokens=6, seed=s) for s in range(4)]
        )
        return [o.choices[0].message.content or "" for o in outs]

    assert len(asyncio.run(main())) == 4
    many = client(server).chat.completions.create(model="local", messages=MESSAGES, max_tokens=4, n=3, seed=5)
    assert [ch.index for ch in many.choices] == [0, 1, 2]


def test_logprobs_completions_and_embeddings(server: Served) -> None:
    c = client(server)
    out = c.chat.completions.create(model="local", messages=MESSAGES, max_tokens=5, logprobs=True, top_logprobs=2)
    assert len(out.choices[0].logprobs.content) == out.usage.completion_tokens
    text = c.completions.create(model="local", prompt="Once upon", max_tokens=5, logprobs=2, temperature=0)
    assert text.object == "text_completion" and len(text.choices[0].logprobs.tokens) == text.usage.completion_tokens
    streamed = "".join(
        ch.choices[0].text for ch in c.completions.create(model="local", prompt="Once upon", max_tokens=5,
                                                          temperature=0, stream=True) if ch.choices
    )  # fmt: skip
    assert streamed == text.choices[0].text
    emb = c.embeddings.create(model="local", input=["hello", "world"])
    assert len(emb.data) == 2 and len(emb.data[0].embedding) > 0


def test_instructor_json_schema_and_tools_with_partial_streaming(server: Served) -> None:
    import instructor

    for mode in (instructor.Mode.JSON_SCHEMA, instructor.Mode.TOOLS):
        patched = instructor.from_openai(client(server), mode=mode)
        place = patched.chat.completions.create(
            model="local", messages=MESSAGES, response_model=Place, max_tokens=400, max_retries=1
        )
        assert isinstance(place, Place)
        partials = list(
            patched.chat.completions.create_partial(
                model="local", messages=MESSAGES, response_model=Place, max_tokens=400, max_retries=1
            )
        )
        assert partials and Place.model_validate(partials[-1].model_dump())


def test_langchain_chat_openai_with_structured_output(server: Served) -> None:
    from langchain_openai import ChatOpenAI

    chat = ChatOpenAI(model="local", base_url=server.v1, api_key="none", max_tokens=400, max_retries=0, temperature=0)
    place = chat.with_structured_output(Place, method="json_schema").invoke("Name a city.")
    assert isinstance(place, Place)
    reply = chat.invoke("Hello")
    assert reply.response_metadata["model_name"] == "local" and 0 < reply.usage_metadata["output_tokens"] <= 400


def test_llama_index_openai_like(server: Served) -> None:
    from llama_index.core.llms import ChatMessage
    from llama_index.llms.openai_like import OpenAILike

    llm = OpenAILike(model="local", api_base=server.v1, api_key="none", is_chat_model=True, max_tokens=8,
                     context_window=1024)  # fmt: skip
    reply = llm.chat([ChatMessage(role="user", content="Hello")])
    assert reply.message.role == "assistant" and reply.raw.model == "local"
    done = llm.complete("Hello")
    assert 0 < done.raw.usage.completion_tokens <= 8


def test_reasoning_content_whole_and_streamed(tmp_path_factory: pytest.TempPathFactory) -> None:
    """A template that opens <think> (DeepSeek-R1's, on a random model with Qwen2's tokenizer): the server
    returns the thinking apart, as reasoning_content, in the message and in the streamed deltas."""
    from conftest import start_server, stop_server

    from llama_native.llama_cpp_source import llama_cpp_dir
    from llama_native.testing import real_tokenizer_model_path

    template = (llama_cpp_dir() / "models" / "templates" / "deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja").read_text()
    model = real_tokenizer_model_path("qwen2", chat_template=template)
    served = start_server(tmp_path_factory.mktemp("r1"), "--model", str(model), "--n-ctx", "1024", "--n-parallel", "1")
    try:
        body = {"messages": MESSAGES, "max_tokens": 16, "seed": 1, "temperature": 1.0,
                "chat_template_kwargs": {"enable_thinking": True}}  # fmt: skip
        message = httpx.post(served.v1 + "/chat/completions", json=body, timeout=120).json()["choices"][0]["message"]
        assert "reasoning_content" in message
        reasoning = ""
        with httpx.stream("POST", served.v1 + "/chat/completions", json={**body, "stream": True}, timeout=120) as r:
            for line in r.iter_lines():
                if line.startswith("data: ") and line != "data: [DONE]":
                    for choice in json.loads(line[6:])["choices"]:
                        reasoning += choice["delta"].get("reasoning_content") or ""
        assert reasoning == message["reasoning_content"]
    finally:
        stop_server(served)
