"""RemoteLlama against llama.cpp's llama-server: the same outputs as in process, through the server's token loop.

The server (built from the pinned source, on loopback) serves the real
model (SmolLM2-135M-Instruct, or ``LLAMA_NATIVE_TEST_MODEL``).  Greedy
requests must give exactly the in-process message: the prompt is rendered
and the grammar made here, the server only samples under it.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest

from llama_native import ContextOverflowError, Llama, LlamaGrammar, SchemaValidationError
from llama_native.remote import RemoteConnectionError, RemoteLlama
from llama_native.remote.llama_server import grammar_fields

PERSON = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "maxLength": 24},
        "age": {"type": "integer", "minimum": 0, "maximum": 130},
        "city": {"type": "string", "maxLength": 20},
    },
    "required": ["name", "age", "city"],
}
MESSAGES = [
    {"role": "system", "content": "Extract the person as JSON."},
    {"role": "user", "content": "Ana Costa is 41 and lives in Porto."},
]
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather of a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string", "maxLength": 20}}, "required": ["city"]},
    },
}
TIME = {
    "type": "function",
    "function": {
        "name": "get_time",
        "description": "Local time in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string", "maxLength": 20}}, "required": ["city"]},
    },
}
WEATHER_ASK = [{"role": "user", "content": "What is the weather in Porto?"}]

REQUESTS: dict[str, dict[str, Any]] = {
    "plain": {"messages": MESSAGES},
    "json_schema": {"messages": MESSAGES, "response_format": {"type": "json_schema", "json_schema": {"name": "p", "schema": PERSON}}},
    "prop_order": {"messages": MESSAGES, "response_format": {"type": "json_object", "schema": PERSON}, "prop_order": ["city"]},
    "schema_prompt": {"messages": MESSAGES, "response_format": {"type": "json_object", "schema": PERSON}, "schema_prompt": True},
    "json_object": {"messages": MESSAGES, "response_format": {"type": "json_object"}},
    "tools_auto": {"messages": WEATHER_ASK, "tools": [WEATHER, TIME], "tool_choice": "auto"},
    "tools_required": {"messages": WEATHER_ASK, "tools": [WEATHER, TIME], "tool_choice": "required"},
    "tools_named": {"messages": WEATHER_ASK, "tools": [WEATHER, TIME], "tool_choice": {"type": "function", "function": {"name": "get_time"}}},
    "tools_none": {"messages": WEATHER_ASK, "tools": [WEATHER, TIME], "tool_choice": "none"},
    "compact": {"messages": MESSAGES, "response_format": {"type": "json_object", "schema": PERSON}, "json_whitespace": "compact"},
}  # fmt: skip


@pytest.fixture(scope="module")
def local(real_model_path: Path) -> Llama:
    """In process, on llama.cpp's GBNF engine as llama-server samples (llguidance may pick other tokens for the same text),
    with RemoteLlama's JSON whitespace (free; Llama's own default is llama-cpp-python's)."""
    return Llama(str(real_model_path), n_ctx=2048, n_threads=2, grammar_engine="gbnf", flash_attn=None,
                 json_whitespace="free")


@pytest.fixture(scope="module")
def remote(llama_server: Any) -> RemoteLlama:
    with RemoteLlama(llama_server.base_url, timeout=120) as client:
        yield client


def _without_ids(message: dict[str, Any]) -> dict[str, Any]:
    out = dict(message)
    if out.get("tool_calls"):
        out["tool_calls"] = [{k: v for k, v in c.items() if k != "id"} for c in out["tool_calls"]]
    return out


@pytest.fixture(scope="module")
def uncached(llama_server: Any) -> RemoteLlama:
    """The server evaluating every prompt whole, as the in-process side after reset()."""
    with RemoteLlama(llama_server.base_url, timeout=120, cache_prompt=False) as client:
        yield client


@pytest.mark.parametrize("name", sorted(REQUESTS))
def test_greedy_reply_equals_the_in_process_reply(local: Llama, uncached: RemoteLlama, name: str) -> None:
    # both sides evaluate the whole prompt in one batch: the same logits, so the same greedy tokens
    # (a reused prefix changes the batching and with it the last bits of the logits, enough to flip
    # a near tie in free text)
    request = dict(REQUESTS[name], temperature=0, max_tokens=64)
    local.reset()
    ours = local.create_chat_completion(**request)
    theirs = uncached.create_chat_completion(**request)
    remote = uncached
    assert remote.api == "llama.cpp"
    assert _without_ids(theirs["choices"][0]["message"]) == _without_ids(ours["choices"][0]["message"])
    assert theirs["choices"][0]["finish_reason"] == ours["choices"][0]["finish_reason"]
    for key in ("prompt_tokens", "completion_tokens", "total_tokens"):
        assert theirs["usage"][key] == ours["usage"][key], key
    assert theirs["object"] == "chat.completion" and theirs["id"].startswith("chatcmpl-")


@pytest.mark.parametrize("name", ["json_schema", "tools_required", "tools_auto", "plain"])
def test_streaming_equals_non_streaming(remote: RemoteLlama, name: str) -> None:
    request = dict(REQUESTS[name], temperature=0.8, seed=11, max_tokens=48)
    whole = remote.create_chat_completion(**request)
    chunks = list(remote.create_chat_completion(**request, stream=True))
    content = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    calls: dict[int, dict[str, str]] = {}
    for chunk in chunks:
        for call in (chunk["choices"][0]["delta"].get("tool_calls") or []) if chunk["choices"] else []:
            entry = calls.setdefault(call["index"], {"name": "", "arguments": ""})
            entry["name"] += call["function"].get("name") or ""
            entry["arguments"] += call["function"].get("arguments") or ""
    message = whole["choices"][0]["message"]
    assert content == (message.get("content") or "")
    assert [calls[i] for i in sorted(calls)] == [c["function"] for c in message.get("tool_calls") or []]
    finals = [c for c in chunks if c["choices"] and c["choices"][0]["finish_reason"]]
    assert [c["choices"][0]["finish_reason"] for c in finals] == [whole["choices"][0]["finish_reason"]]
    assert chunks[-1]["usage"]["completion_tokens"] == whole["usage"]["completion_tokens"]


def test_structured_outputs_always_validate_over_seeds(remote: RemoteLlama) -> None:
    completed = 0
    for seed in range(6):
        out = remote.create_chat_completion(
            **REQUESTS["json_schema"], temperature=1.0, seed=seed, max_tokens=96
        )
        if out["choices"][0]["finish_reason"] == "stop":
            jsonschema.validate(json.loads(out["choices"][0]["message"]["content"]), PERSON)
            completed += 1
    assert completed >= 4


def test_forced_tool_calls_always_validate_over_seeds(remote: RemoteLlama) -> None:
    completed = 0
    for seed in range(6):
        out = remote.create_chat_completion(
            **REQUESTS["tools_required"], temperature=1.0, seed=seed, max_tokens=96, parallel_tool_calls=False
        )
        if out["choices"][0]["finish_reason"] == "tool_calls":
            for call in out["choices"][0]["message"]["tool_calls"]:
                assert call["function"]["name"] in ("get_weather", "get_time")
                jsonschema.validate(json.loads(call["function"]["arguments"]), WEATHER["function"]["parameters"])
            completed += 1
    assert completed >= 3


def test_same_seed_same_output(remote: RemoteLlama) -> None:
    a = remote.create_chat_completion(**REQUESTS["plain"], temperature=1.0, seed=5, max_tokens=24)
    b = remote.create_chat_completion(**REQUESTS["plain"], temperature=1.0, seed=5, max_tokens=24)
    assert a["choices"][0]["message"] == b["choices"][0]["message"]


def test_text_completion_equals_in_process(local: Llama, uncached: RemoteLlama, remote: RemoteLlama) -> None:
    for kwargs in (
        {"prompt": "The capital of France is", "max_tokens": 24},
        {"prompt": "Person: Ana, 41.\nJSON:", "json_schema": PERSON, "max_tokens": 64},
        {"prompt": "Answer yes or no:", "grammar": 'root ::= "yes" | "no"'},
        {"prompt": "Count: 1, 2, 3,", "stop": [","], "max_tokens": 24},
    ):
        local.reset()
        ours = local.create_completion(temperature=0, **kwargs)
        theirs = uncached.create_completion(temperature=0, **kwargs)
        assert theirs["choices"][0]["text"] == ours["choices"][0]["text"]
        assert theirs["choices"][0]["finish_reason"] == ours["choices"][0]["finish_reason"]
        assert theirs["usage"]["prompt_tokens"] == ours["usage"]["prompt_tokens"]
        assert theirs["usage"]["completion_tokens"] == ours["usage"]["completion_tokens"]
    streamed = list(remote.create_completion("The capital of France is", max_tokens=24, temperature=0, stream=True))
    whole = remote.create_completion("The capital of France is", max_tokens=24, temperature=0)
    assert "".join(c["choices"][0]["text"] for c in streamed) == whole["choices"][0]["text"]
    assert streamed[-1]["usage"]["completion_tokens"] == whole["usage"]["completion_tokens"]


def test_top_n_sigma_reaches_the_server(local: Llama, uncached: RemoteLlama) -> None:
    # a tiny top-n-sigma leaves the top token only: any seed gives the greedy text, there as here
    prompt = "The capital of France is"
    local.reset()
    greedy = local.create_completion(prompt, max_tokens=16, temperature=0)["choices"][0]["text"]
    for seed in range(2):
        out = uncached.create_completion(prompt, max_tokens=16, temperature=2.0, top_k=0, top_n_sigma=1e-6, seed=seed)
        assert out["choices"][0]["text"] == greedy
    with pytest.raises(ValueError, match="top_n_sigma"):
        uncached.create_completion(prompt, top_n_sigma=0)


def test_tokenize_and_template_are_the_servers(local: Llama, remote: RemoteLlama) -> None:
    text = "Hello, <|im_start|> world"
    assert remote.tokenize(text, add_bos=False, special=True) == local.tokenize(text.encode(), add_bos=False, special=True)
    assert remote.tokenize(text, add_bos=False) == local.tokenize(text.encode(), add_bos=False)
    assert remote.chat_template == local.chat_template
    assert remote.detokenize(local.tokenize(b"Porto", add_bos=False)) == b"Porto"


def test_async_and_cancelled_streams(remote: RemoteLlama, llama_server: Any) -> None:
    async def main() -> tuple[str, float]:
        out = await remote.acreate_chat_completion(**REQUESTS["json_schema"], temperature=0, max_tokens=64)
        stream = await remote.acreate_chat_completion(
            messages=MESSAGES, temperature=1.0, max_tokens=2000, stream=True, logit_bias={2: -100.0}
        )
        started = time.monotonic()
        async for _ in stream:
            break
        await stream.aclose()  # leaves early: the connection closes, the server stops generating
        return out["choices"][0]["message"]["content"], time.monotonic() - started

    content, seconds = asyncio.run(main())
    jsonschema.validate(json.loads(content), PERSON)
    assert seconds < 5
    deadline = time.monotonic() + 10
    while any(slot["is_processing"] for slot in httpx.get(llama_server.base_url + "/slots").json()):
        assert time.monotonic() < deadline, "the server kept generating for a client that left"
        time.sleep(0.1)
    again = remote.create_chat_completion(**REQUESTS["plain"], temperature=0, max_tokens=8)  # the slot is free again
    assert again["choices"][0]["finish_reason"] in ("stop", "length")


def test_bad_requests_are_refused_before_the_network(remote: RemoteLlama) -> None:
    with pytest.raises(ValueError, match="temperature"):
        remote.create_chat_completion(MESSAGES, temperature=-1)
    with pytest.raises(ValueError, match="top_p"):
        remote.create_completion("x", top_p=3)
    with pytest.raises(NotImplementedError, match="logprobs"):
        remote.create_chat_completion(MESSAGES, logprobs=True)
    with pytest.raises(NotImplementedError, match="logits_processor"):
        remote.create_completion("x", logits_processor=lambda ids, scores: scores)
    with pytest.raises(TypeError, match="not_a_parameter"):
        remote.create_chat_completion(MESSAGES, not_a_parameter=1)
    with pytest.raises(ContextOverflowError):
        remote.create_completion("word " * 5000, max_tokens=4)
    with pytest.raises(ValueError, match="tool_choice"):
        remote.create_chat_completion(MESSAGES, tools=[WEATHER], tool_choice={"type": "function", "function": {"name": "nope"}})


def test_the_constructor_makes_no_request_and_errors_name_the_server() -> None:
    started = time.monotonic()
    remote = RemoteLlama("http://127.0.0.1:9", connect_timeout=1, max_retries=1)
    assert time.monotonic() - started < 0.5
    with pytest.raises(RemoteConnectionError, match="127.0.0.1:9"):
        remote.create_chat_completion(MESSAGES, max_tokens=4)
    assert time.monotonic() - started < 10
    with pytest.raises(ValueError, match="not an http"):
        RemoteLlama("127.0.0.1:8080")
    with pytest.raises(ValueError, match="api must be"):
        RemoteLlama("http://127.0.0.1:8080", api="grpc")
    with pytest.raises(ValueError, match="timeout"):
        RemoteLlama("http://127.0.0.1:8080", timeout=0)


def test_a_schema_only_llguidance_compiles_is_converted_by_the_server_and_checked_here(remote: RemoteLlama) -> None:
    # our converter cannot read \\p{Script=...} (Python's re has no scripts), llguidance's compiler can; a llama.cpp
    # server takes GBNF only, so the schema goes as llama-server's json_schema and the output is validated here
    schema = {
        "type": "object",
        "properties": {"word": {"type": "string", "pattern": "^\\p{Script=Latin}{1,6}$"}, "n": {"type": "integer"}},
        "required": ["word", "n"],
        "additionalProperties": False,
    }
    grammar = LlamaGrammar.from_json_schema(schema)
    assert set(grammar_fields(grammar)) == {"json_schema"}
    outcomes = []
    for seed in range(3):
        try:
            out = remote.create_chat_completion(
                MESSAGES, response_format={"type": "json_schema", "json_schema": {"name": "s", "schema": schema}},
                temperature=0.7, seed=seed, max_tokens=96,
            )  # fmt: skip
        except SchemaValidationError as exc:  # llama-server's converter does not enforce the pattern
            assert remote.base_urls[0] in str(exc)
            outcomes.append("refused")
            continue
        if out["choices"][0]["finish_reason"] == "stop":
            assert grammar.accepts(out["choices"][0]["message"]["content"])  # the pattern holds (Python's re cannot say)
            outcomes.append("valid")
        else:
            outcomes.append("cut")
    assert outcomes.count("cut") < len(outcomes)  # some output finished: valid, or refused naming the server


def test_schema_end_check_failures_are_errors_not_outputs(remote: RemoteLlama) -> None:
    # uniqueItems is checked at the end: an output the grammar allows but the schema refuses must raise
    schema = {"type": "array", "items": {"enum": [1, 2]}, "minItems": 3, "maxItems": 3, "uniqueItems": True}
    outcomes = set()
    for seed in range(4):
        try:
            out = remote.create_completion("List:", json_schema=schema, temperature=1.0, seed=seed, max_tokens=24)
        except SchemaValidationError as exc:
            assert "127.0.0.1" in str(exc)
            outcomes.add("refused")
        else:
            assert out["choices"][0]["finish_reason"] == "length", out  # three unique items of two: never complete
            outcomes.add("cut")
    assert outcomes


def test_instructor_over_the_remote_client(remote: RemoteLlama) -> None:
    import instructor
    from pydantic import BaseModel, Field

    class Person(BaseModel):
        name: str = Field(max_length=24)
        age: int = Field(ge=0, le=130)

    create = instructor.patch(create=remote.create_chat_completion_openai_v1, mode=instructor.Mode.JSON_SCHEMA)
    person = create(messages=MESSAGES, response_model=Person, max_retries=2, temperature=0, max_tokens=64)
    assert isinstance(person, Person)
