"""llama-server's own routes and fields on ``llama-native serve`` (in process, random-weight models).

The comparison with llama-server itself is ``test_llama_server_parity.py``;
this module checks what each route promises on models that need no download.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest
from fastapi.testclient import TestClient

from llama_native import Llama
from llama_native.request import CompletionRequest
from llama_native.server import ModelEntry, ServerSettings, create_app
from llama_native.testing import real_tokenizer_model_path, synthetic_model_path

G = {"temperature": 0}
CHOICE = {"type": "object", "properties": {"a": {"enum": ["x", "y"]}}, "required": ["a"], "additionalProperties": False}


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    app = create_app(ServerSettings(models=[
        ModelEntry("tiny", str(synthetic_model_path()), {"n_ctx": 256}),
        ModelEntry("fim", str(real_tokenizer_model_path("starcoder")), {"n_ctx": 256}),
    ]))  # fmt: skip
    with TestClient(app) as c:
        yield c


def events(text: str) -> list[dict[str, Any]]:
    assert "[DONE]" not in text  # llama-server's own streams end without it
    return [json.loads(line[6:]) for line in text.splitlines() if line.startswith("data: ")]


def native_error(r: Any, status: int, kind: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert error["code"] == status and error["type"] == kind and error["message"], error
    return error


def test_completion_answers_in_llama_servers_shape(client: TestClient) -> None:
    r = client.post("/completion", json={"prompt": "hello", "n_predict": 5, "return_tokens": True, **G})
    out = r.json()
    assert r.status_code == 200, out
    assert {"content", "tokens", "stop", "stop_type", "stopping_word", "truncated", "tokens_cached",
            "tokens_evaluated", "tokens_predicted", "generation_settings", "model", "prompt", "timings"} <= set(out)
    assert out["stop"] is True and out["stop_type"] == "limit" and out["tokens_predicted"] == 5 == len(out["tokens"])
    assert out["model"] == "tiny" and out["prompt"] == "hello" and out["truncated"] is False
    assert out["generation_settings"]["n_predict"] == 5 and out["generation_settings"]["temperature"] == 0
    timings = out["timings"]
    assert timings["predicted_n"] == 5 and timings["prompt_n"] + timings["cache_n"] == out["tokens_evaluated"]
    again = client.post("/detokenize", json={"tokens": out["tokens"]}).json()["content"]
    assert again == out["content"]


def test_streamed_pieces_add_up_to_the_whole_answer(client: TestClient) -> None:
    body = {"prompt": "hello", "n_predict": 6, **G}
    whole = client.post("/completion", json={**body, "return_tokens": True}).json()
    streamed = client.post("/completion", json={**body, "stream": True})
    assert streamed.status_code == 200 and streamed.headers["content-type"].startswith("text/event-stream")
    got = events(streamed.text)
    *pieces, last = got
    assert all(p["stop"] is False for p in pieces) and last["stop"] is True and "timings" in last
    assert "".join(p["content"] for p in pieces) == whole["content"]
    assert [t for p in pieces for t in p["tokens"]] == whole["tokens"]
    assert last["tokens_predicted"] == 6 and last["stop_type"] == "limit"


def test_a_stop_word_is_named_and_cut(client: TestClient) -> None:
    text = client.post("/completion", json={"prompt": "hello", "n_predict": 12, **G}).json()["content"]
    word = text.strip()[3:6] or text[:2]
    out = client.post("/completion", json={"prompt": "hello", "n_predict": 12, "stop": [word], **G}).json()
    assert out["stop_type"] == "word" and out["stopping_word"] == word, (text, out)
    assert word not in out["content"] and text.startswith(out["content"])


def test_json_schema_gives_valid_json_ending_as_eos(client: TestClient) -> None:
    out = client.post("/completion", json={"prompt": "answer:", "json_schema": CHOICE, "n_predict": 48}).json()
    jsonschema.validate(json.loads(out["content"]), CHOICE)
    assert out["stop_type"] == "eos"
    grammar = client.post("/completion", json={"prompt": "x", "grammar": 'root ::= "ok"', "n_predict": 8}).json()
    assert grammar["content"] == "ok" and grammar["stop_type"] == "eos"


def test_token_ids_mixed_and_several_prompts(client: TestClient) -> None:
    ids = client.post("/tokenize", json={"content": "hello world", "add_special": True}).json()["tokens"]
    by_text = client.post("/completion", json={"prompt": "hello world", "n_predict": 4, **G}).json()
    by_ids = client.post("/completion", json={"prompt": ids, "n_predict": 4, **G}).json()
    assert by_ids["content"] == by_text["content"] and by_ids["tokens_evaluated"] == len(ids)
    several = client.post("/completion", json={"prompt": ["hello", "world"], "n_predict": 2, **G}).json()
    assert isinstance(several, list) and len(several) == 2 and all(s["tokens_predicted"] == 2 for s in several)
    mixed = client.post("/completion", json={"prompt": ["hello", ids[-1]], "n_predict": 2, **G})
    assert mixed.status_code == 200 and mixed.json()["tokens_evaluated"] >= 2


def test_n_probs_lists_each_token_with_its_id(client: TestClient) -> None:
    out = client.post("/completion", json={"prompt": "hello", "n_predict": 3, "n_probs": 2, "return_tokens": True,
                                           **G}).json()  # fmt: skip
    probs = out["completion_probabilities"]
    assert [p["id"] for p in probs] == out["tokens"]
    for p in probs:
        assert set(p) == {"id", "token", "bytes", "logprob", "top_logprobs"} and len(p["top_logprobs"]) == 2
        assert p["top_logprobs"][0]["id"] == p["id"]  # greedy: the chosen token is the most likely


def test_samplers_left_out_are_off_and_neutral_fields_are_accepted(client: TestClient) -> None:
    body = {"prompt": "hello", "n_predict": 4, "samplers": ["top_k"], "top_k": 1, "temperature": 1.0,
            "cache_prompt": False, "id_slot": 3, "timings_per_token": True, "dry_multiplier": 0.0}  # fmt: skip
    greedy = client.post("/completion", json={"prompt": "hello", "n_predict": 4, **G}).json()["content"]
    assert client.post("/completion", json=body).json()["content"] == greedy


@pytest.mark.parametrize(("body", "named"), [
    ({"prompt": "hi", "bogus": 1}, "bogus"),
    ({"prompt": "hi", "dry_multiplier": 0.5}, "dry_multiplier"),
    ({"prompt": "hi", "samplers": ["nope"]}, "nope"),
    ({"prompt": "hi", "n_predict": "x"}, "n_predict"),
    ({"n_predict": 2}, "prompt"),
    ({"prompt": "hi", "grammar": "root ::= ("}, "grammar"),
])  # fmt: skip
def test_bad_requests_get_llama_servers_400_naming_the_problem(client: TestClient, body: dict, named: str) -> None:
    error = native_error(client.post("/completion", json=body), 400, "invalid_request_error")
    assert named in error["message"], error


@pytest.mark.parametrize("stream", [False, True])
def test_a_prompt_over_the_context_is_400_with_both_sizes(client: TestClient, stream: bool) -> None:
    r = client.post("/completion", json={"prompt": "hello " * 400, "n_predict": 2, "stream": stream})
    error = native_error(r, 400, "exceed_context_size_error")
    assert error["n_ctx"] == 256 and error["n_prompt_tokens"] > 256, error
    assert client.post("/completion", json={"prompt": "hi", "n_predict": 1}).status_code == 200


def test_tokenize_detokenize_and_templates(client: TestClient) -> None:
    ids = client.post("/tokenize", json={"content": "hello world"}).json()["tokens"]
    pieces = client.post("/tokenize", json={"content": "hello world", "with_pieces": True}).json()["tokens"]
    assert [p["id"] for p in pieces] == ids and "".join(p["piece"] for p in pieces).strip() == "hello world"
    assert client.post("/detokenize", json={"tokens": ids}).json()["content"].strip() == "hello world"
    assert client.post("/tokenize", json={}).json() == {"tokens": []}
    native_error(client.post("/detokenize", json={"tokens": [10**8]}), 400, "invalid_request_error")
    messages = [{"role": "user", "content": "hi"}]
    prompt = client.post("/apply-template", json={"messages": messages}).json()["prompt"]
    assert "hi" in prompt
    count = client.post("/chat/completions/input_tokens", json={"messages": messages}).json()
    assert count["object"] == "response.input_tokens" and count["input_tokens"] >= len(
        client.post("/tokenize", json={"content": prompt}).json()["tokens"])
    native_error(client.post("/apply-template", json={}), 400, "invalid_request_error")


def test_infill_uses_the_fim_tokens_or_says_they_are_missing(client: TestClient) -> None:
    body = {"input_prefix": "def f(", "input_suffix": "):\n", "n_predict": 4, **G}
    error = native_error(client.post("/infill", json=body), 501, "not_supported_error")
    assert "prefix token is missing" in error["message"]
    out = client.post("/infill", json={**body, "model": "fim", "input_extra": [{"filename": "a.py", "text": "x"}]})
    assert out.status_code == 200 and out.json()["tokens_predicted"] == 4, out.text
    native_error(client.post("/infill", json={"input_prefix": "x", "model": "fim"}), 400, "invalid_request_error")
    plain = client.post("/infill", json={**body, "model": "fim", "n_predict": 1}).json()
    started = client.post("/infill", json={**body, "model": "fim", "prompt": "a, b", "n_predict": 1}).json()
    after = client.post("/tokenize", json={"content": "a, b", "model": "fim", "parse_special": False}).json()["tokens"]
    assert started["tokens_evaluated"] == plain["tokens_evaluated"] + len(after)  # the text after the middle token


def test_embedding_props_and_models(client: TestClient) -> None:
    out = client.post("/embedding", json={"content": "hello"}).json()
    # the synthetic model has no pooling: one unnormalized vector per token, as llama-server
    # (test_server_embedding_tokens.py compares them with llama-server's)
    assert out[0]["index"] == 0 and len(out[0]["embedding"]) == len(client.post("/tokenize", json={
        "content": "hello", "add_special": True}).json()["tokens"]) > 1
    assert len(client.post("/embeddings", json={"content": ["a", "b"]}).json()) == 2
    props = client.get("/props").json()
    assert props["total_slots"] == 2 and props["default_generation_settings"]["n_ctx"] == 256
    assert props["model_alias"] == "tiny" and props["model_path"].endswith(".gguf")
    native_error(client.post("/props", json={}), 501, "not_supported_error")
    models = client.get("/models").json()
    assert [m["name"] for m in models["models"]] == ["tiny", "fim"] and models["data"][0]["meta"]["n_ctx"] == 256


def test_openai_routes_take_llama_servers_fields(client: TestClient) -> None:
    hi = [{"role": "user", "content": "hi"}]
    chat = client.post("/chat/completions", json={"messages": hi, "n_predict": 3, "id_slot": 1, "cache_prompt": True,
                                                  "timings_per_token": False, "return_progress": False,
                                                  "verbose": False, **G})  # fmt: skip
    assert chat.status_code == 200 and chat.json()["usage"]["completion_tokens"] <= 3, chat.text
    cmpl = client.post("/v1/completions", json={"prompt": "hi", "n_predict": 20, **G}).json()
    assert cmpl["usage"]["completion_tokens"] == 20  # n_predict wins over the default max_tokens (16)
    both = client.post("/v1/completions", json={"prompt": "hi", "n_predict": 20, "max_tokens": 2, **G}).json()
    assert both["usage"]["completion_tokens"] == 2
    shaped = client.post("/v1/chat/completions", json={"messages": hi, "json_schema": CHOICE, "max_tokens": 48})
    jsonschema.validate(json.loads(shaped.json()["choices"][0]["message"]["content"]), CHOICE)
    for extra, named in (({"json_schema": CHOICE, "response_format": {"type": "json_object"}}, "json_schema"),
                         ({"add_generation_prompt": False}, "add_generation_prompt"),
                         ({"continue_final_message": True}, "continue_final_message"),
                         ({"bogus": 1}, "bogus")):  # fmt: skip
        r = client.post("/v1/chat/completions", json={"messages": hi, **extra})
        assert r.status_code == 400 and named in r.json()["error"]["message"], r.text


def test_the_python_api_hands_over_token_ids_and_llama_shaped_probabilities() -> None:
    llm = Llama(str(synthetic_model_path()), n_ctx=128)
    request = CompletionRequest.from_arguments({"prompt": "hello", "max_tokens": 4, "temperature": 0, "logprobs": 1})
    whole = llm.run(request.replace(token_ids=True, logprobs_shape="llama"))["choices"][0]
    assert len(whole["token_ids"]) == 4
    assert llm.detokenize(whole["token_ids"]).decode("utf-8", "replace") == whole["text"]
    assert [p["id"] for p in whole["logprobs"]] == whole["token_ids"]
    chunks = list(llm.run(request.replace(token_ids=True, stream=True)))
    assert [t for c in chunks for t in c["choices"][0]["token_ids"]] == whole["token_ids"]
    assert "token_ids" not in llm.run(request)["choices"][0]  # only when asked for
