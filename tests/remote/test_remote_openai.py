"""RemoteLlama against an OpenAI-compatible server: llama-native's own ``serve``, spoken to only through ``/v1``.

The request is passed on (the server's template, its grammar), and the
finished output is validated here; the shapes are the in-process ones.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest
from helpers import ENV_MODEL
from served import Served, start_server, stop_server

from llama_native.remote import RemoteLlama
from llama_native.testing import synthetic_model_path

PERSON = {
    "type": "object",
    "properties": {"name": {"type": "string", "maxLength": 12}, "age": {"type": "integer"}},
    "required": ["name", "age"],
}
MESSAGES = [{"role": "system", "content": "Extract."}, {"role": "user", "content": "Ana is 41."}]
ADD = {
    "type": "function",
    "function": {
        "name": "add",
        "description": "Add two integers",
        "parameters": {"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
                       "required": ["a", "b"]},  # fmt: skip
    },
}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    model = str(ENV_MODEL or synthetic_model_path())
    server = start_server(tmp_path_factory.mktemp("openai"), "--model", model, "--model-alias", "local",
                          "--n-ctx", "1024", "--n-parallel", "2", api_key="secret")  # fmt: skip
    yield server
    stop_server(server)


@pytest.fixture(scope="module")
def remote(served: Served) -> RemoteLlama:
    return RemoteLlama(served.v1, api_key="secret", timeout=60)


def test_detected_as_openai_and_the_model_is_listed(remote: RemoteLlama) -> None:
    assert remote.api == "openai"
    out = remote.create_chat_completion(MESSAGES, max_tokens=4)
    assert out["model"] == "local" and out["object"] == "chat.completion"
    assert out["usage"]["completion_tokens"] == 4 or out["choices"][0]["finish_reason"] == "stop"


def test_json_schema_outputs_validate_over_seeds(remote: RemoteLlama) -> None:
    completed = 0
    for seed in range(5):
        out = remote.create_chat_completion(
            MESSAGES,
            response_format={"type": "json_schema", "json_schema": {"name": "p", "schema": PERSON}},
            temperature=1.0,
            seed=seed,
            max_tokens=60,
        )
        if out["choices"][0]["finish_reason"] == "stop":
            jsonschema.validate(json.loads(out["choices"][0]["message"]["content"]), PERSON)
            completed += 1
    assert completed >= 3


def test_prop_order_reaches_the_server_as_schema_order(remote: RemoteLlama) -> None:
    completed = 0
    for seed in range(5):
        out = remote.create_chat_completion(
            MESSAGES, response_format={"type": "json_object", "schema": PERSON}, prop_order=["age"],
            temperature=0.7, seed=seed, max_tokens=60, schema_prompt=True,
        )  # fmt: skip
        if out["choices"][0]["finish_reason"] == "stop":
            assert list(json.loads(out["choices"][0]["message"]["content"])) == ["age", "name"]
            completed += 1
    assert completed >= 1


def test_tools_required_give_valid_calls_and_streaming_equals_whole(remote: RemoteLlama) -> None:
    kwargs: dict[str, Any] = dict(tools=[ADD], tool_choice="required", temperature=0.9, seed=3, max_tokens=48)
    whole = remote.create_chat_completion([{"role": "user", "content": "1 plus 2?"}], **kwargs)
    chunks = list(remote.create_chat_completion([{"role": "user", "content": "1 plus 2?"}], stream=True, **kwargs))
    if whole["choices"][0]["finish_reason"] == "tool_calls":
        call = whole["choices"][0]["message"]["tool_calls"][0]["function"]
        jsonschema.validate(json.loads(call["arguments"]), ADD["function"]["parameters"])
        streamed = "".join(
            tc["function"].get("arguments") or ""
            for c in chunks if c["choices"]
            for tc in c["choices"][0]["delta"].get("tool_calls") or []
        )  # fmt: skip
        assert streamed == call["arguments"]
    assert chunks[-1]["usage"]["completion_tokens"] == whole["usage"]["completion_tokens"]


def test_completions_and_async(remote: RemoteLlama) -> None:
    import asyncio

    out = remote.create_completion("Hello", max_tokens=5, temperature=0)
    assert out["object"] == "text_completion" and out["usage"]["prompt_tokens"] > 0
    again = asyncio.run(remote.acreate_chat_completion(MESSAGES, max_tokens=5, temperature=0))
    assert again["choices"][0]["message"]["content"] == remote.create_chat_completion(
        MESSAGES, max_tokens=5, temperature=0
    )["choices"][0]["message"]["content"]


def test_what_needs_a_llama_cpp_server_is_refused(remote: RemoteLlama) -> None:
    with pytest.raises(NotImplementedError, match="grammar needs a llama.cpp server"):
        remote.create_chat_completion(MESSAGES, grammar='root ::= "x"')
    with pytest.raises(NotImplementedError, match="json_whitespace"):
        remote.create_chat_completion(MESSAGES, json_whitespace="compact")
    with pytest.raises(NotImplementedError, match="tokenize"):
        remote.tokenize("x")


def test_a_wrong_api_key_is_an_error_naming_the_server(served: Served) -> None:
    remote = RemoteLlama(served.v1, api_key="wrong", api="openai", model="local", timeout=10)
    with pytest.raises(Exception, match="401") as caught:
        remote.create_chat_completion(MESSAGES, max_tokens=2)
    assert served.url in str(caught.value)
