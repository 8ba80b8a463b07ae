"""create_chat_completion: OpenAI shapes, JSON mode, tool calls for any model, streaming."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from llama_native import Llama, SchemaValidationError

from helpers import no_eog_bias

MESSAGES = [{"role": "system", "content": "You extract data."}, {"role": "user", "content": "Jason is 30 years old."}]
PERSON = {"type": "object", "properties": {"name": {"type": "string", "maxLength": 8}, "age": {"type": "integer", "minimum": 0, "maximum": 120}},
          "required": ["name", "age"], "additionalProperties": False}
ADD = {"type": "function", "function": {"name": "add", "description": "Add two integers", "parameters": {
    "type": "object", "properties": {"a": {"type": "integer", "minimum": -99, "maximum": 99},
                                     "b": {"type": "integer", "minimum": -99, "maximum": 99}},
    "required": ["a", "b"], "additionalProperties": False}}}
WEATHER = {"type": "function", "function": {"name": "weather", "description": "Weather in a city", "parameters": {
    "type": "object", "properties": {"city": {"enum": ["Paris", "Rome"]}}, "required": ["city"]}}}
SCHEMAS = {"add": ADD["function"]["parameters"], "weather": WEATHER["function"]["parameters"]}


@pytest.fixture(scope="module")
def chat_llm(any_model_path: Path) -> Llama:
    return Llama(str(any_model_path), n_ctx=1024, n_batch=256, seed=7)


def test_chat_completion_shape_and_true_usage(chat_llm: Llama) -> None:
    out = chat_llm.create_chat_completion(MESSAGES, max_tokens=6, temperature=0)
    assert out["object"] == "chat.completion" and out["id"].startswith("chatcmpl-")
    choice = out["choices"][0]
    assert choice["message"]["role"] == "assistant" and isinstance(choice["message"]["content"], str)
    assert choice["finish_reason"] in ("stop", "length")
    prompt = chat_llm.chat_formatter(messages=MESSAGES)
    bos = chat_llm._model.add_bos and not prompt.added_special
    assert out["usage"]["prompt_tokens"] == len(chat_llm.tokenize(prompt.prompt.encode(), add_bos=bos, special=True))
    assert out["usage"]["completion_tokens"] <= 6
    assert out["usage"]["total_tokens"] == out["usage"]["prompt_tokens"] + out["usage"]["completion_tokens"]


def test_streaming_equals_non_streaming(chat_llm: Llama) -> None:
    kwargs = dict(max_tokens=12, seed=5, temperature=1.0)
    full = chat_llm.create_chat_completion(MESSAGES, **kwargs)
    chunks = list(chat_llm.create_chat_completion(MESSAGES, stream=True, **kwargs))
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks)
    assert text == full["choices"][0]["message"]["content"]
    assert chunks[-1]["choices"][0]["finish_reason"] == full["choices"][0]["finish_reason"]
    assert chunks[-1]["usage"]["completion_tokens"] == full["usage"]["completion_tokens"]


def test_text_never_contains_the_end_of_turn_marker(chat_llm: Llama) -> None:
    stops = chat_llm.chat_formatter(messages=MESSAGES).stop or []
    for seed in range(4):
        text = chat_llm.create_chat_completion(MESSAGES, max_tokens=24, seed=seed, temperature=1.5)["choices"][0]["message"]["content"]
        assert not any(s and s in text for s in stops)


@pytest.mark.parametrize("response_format", [
    {"type": "json_object", "schema": PERSON},
    {"type": "json_schema", "json_schema": {"name": "person", "schema": PERSON, "strict": True}},
], ids=["json_object+schema", "json_schema"])
def test_response_format_schema_always_validates(chat_llm: Llama, response_format: dict) -> None:
    completed = 0
    for seed in range(6):
        out = chat_llm.create_chat_completion(MESSAGES, response_format=response_format, max_tokens=60, seed=seed, temperature=1.0)
        if out["choices"][0]["finish_reason"] == "stop":
            completed += 1
            jsonschema.validate(json.loads(out["choices"][0]["message"]["content"]), PERSON)
    assert completed >= 2


def test_json_object_mode_gives_an_object(chat_llm: Llama) -> None:
    out = chat_llm.create_chat_completion(
        MESSAGES, response_format={"type": "json_object"}, max_tokens=30, seed=1, temperature=0.0,
        logit_bias={t: -100.0 for t in chat_llm.eog_tokens()},
    )
    assert out["choices"][0]["message"]["content"].startswith("{")


def _calls(out: dict) -> list:
    message = out["choices"][0]["message"]
    return message.get("tool_calls") or []


@pytest.mark.parametrize("tool_choice", ["required", {"type": "function", "function": {"name": "weather"}}], ids=["required", "named"])
def test_forced_tool_calls_are_valid(chat_llm: Llama, tool_choice) -> None:
    completed = 0
    for seed in range(4):
        out = chat_llm.create_chat_completion(MESSAGES, tools=[ADD, WEATHER], tool_choice=tool_choice, max_tokens=160,
                                              seed=seed, temperature=1.0, parallel_tool_calls=False)
        if out["choices"][0]["finish_reason"] != "tool_calls":
            assert out["choices"][0]["finish_reason"] == "length"
            continue
        completed += 1
        calls = _calls(out)
        assert calls
        ids = [c["id"] for c in calls]
        assert len(set(ids)) == len(ids) and all(ids)
        for call in calls:
            assert call["type"] == "function"
            if isinstance(tool_choice, dict):
                assert call["function"]["name"] == "weather"
            jsonschema.validate(json.loads(call["function"]["arguments"]), SCHEMAS[call["function"]["name"]])
    assert completed >= 1


@pytest.mark.parametrize("syntax", ["hermes", "mistral", "llama3"])
def test_parallel_calls_grammar_and_parser(syntax: str) -> None:
    from llama_native.chat.tools import ToolCallFormat

    fmt = ToolCallFormat(syntax)
    key = fmt.arguments_key
    calls = [{"name": "add", key: {"a": 1, "b": 2}}, {"name": "weather", key: {"city": "Rome"}}]
    body = {"hermes": "\n".join(f"<tool_call>{json.dumps(c, separators=(',', ':'))}</tool_call>" for c in calls),
            "mistral": "[TOOL_CALLS]" + json.dumps(calls, separators=(",", ":")),
            "llama3": ";".join(json.dumps(c, separators=(",", ":")) for c in calls)}[syntax]
    functions = [ADD["function"], WEATHER["function"]]
    assert fmt.grammar(functions, lazy=False, max_calls=2).accepts(body)
    assert not fmt.grammar(functions, lazy=False, max_calls=1).accepts(body)
    bad = body.replace('"Rome"', '"Oslo"')
    assert not fmt.grammar(functions, lazy=False, max_calls=2).accepts(bad)
    content, parsed = fmt.parse("Let me check. " + body)
    assert content == "Let me check. " and [c["name"] for c in parsed] == ["add", "weather"]
    assert parsed[1]["arguments"] == {"city": "Rome"}
    # the cap: three calls need max_calls >= 3
    three = {"hermes": body + "\n" + body.split("\n")[0], "mistral": "[TOOL_CALLS]" + json.dumps(calls + calls[:1], separators=(",", ":")),
             "llama3": body + ";" + body.split(";")[0]}[syntax]
    assert not fmt.grammar(functions, lazy=False, max_calls=2).accepts(three)
    assert fmt.grammar(functions, lazy=False, max_calls=3).accepts(three)
    # a generation cut inside the second call: the first, complete one is kept, the tail dropped
    cut = body[: body.index('"Rome"') - 3]
    with pytest.raises(ValueError):
        fmt.parse(cut)
    _, kept = fmt.parse(cut, complete_only=True)
    assert kept == [{"name": "add", "arguments": {"a": 1, "b": 2}}]


@pytest.mark.parametrize("syntax", ["hermes", "mistral", "llama3"])
def test_calls_with_whitespace_parse(syntax: str) -> None:
    """Calls written with the whitespace the arguments' grammar allows open and parse like compact ones."""
    from llama_native.chat.tools import ToolCallFormat

    fmt = ToolCallFormat(syntax)
    key = fmt.arguments_key
    call = json.dumps({"name": "add", key: {"a": 1, "b": 2}}, indent=2)
    text = {"hermes": f"<tool_call>\n{call}\n</tool_call>", "mistral": f"[TOOL_CALLS][{call}]", "llama3": call}[syntax]
    assert fmt.grammar([ADD["function"]], lazy=False).accepts(text)
    assert fmt.parse(text)[1] == [{"name": "add", "arguments": {"a": 1, "b": 2}}]
    assert fmt.held_back(text[:3]) == 3 and fmt.held_back("plain words.") == 0


def test_forced_calls_are_capped(chat_llm: Llama) -> None:
    """A forced reply holds at most one call per tool (or max_tool_calls); a named choice exactly one."""
    counts = {"required": [], "named": [], "max3": []}
    for seed in range(4):
        for key, kwargs in (("required", dict(tool_choice="required")),
                            ("named", dict(tool_choice={"type": "function", "function": {"name": "weather"}})),
                            ("max3", dict(tool_choice="required", max_tool_calls=3))):
            out = chat_llm.create_chat_completion(MESSAGES, tools=[ADD, WEATHER], max_tokens=200, seed=seed,
                                                  temperature=1.0, **kwargs)
            if out["choices"][0]["finish_reason"] == "tool_calls":
                counts[key].append(len(_calls(out)))
    assert counts["required"] and all(1 <= n <= 2 for n in counts["required"])
    assert counts["named"] and all(n == 1 for n in counts["named"])
    assert all(1 <= n <= 3 for n in counts["max3"])


def test_calls_completed_before_max_tokens_are_returned(chat_llm: Llama) -> None:
    """max_tokens cutting the second call leaves the first: finish_reason "length" with that call.

    Seeds are tried until three have been cut both streamed and not (or 12 seeds are spent).
    """
    cut_cases = 0
    for seed in range(12):
        if cut_cases >= 3:
            break
        kwargs = dict(tools=[ADD, WEATHER], tool_choice="required", seed=seed, temperature=1.0)
        first = chat_llm.create_chat_completion(MESSAGES, max_tool_calls=1, max_tokens=200, **kwargs)
        if first["choices"][0]["finish_reason"] != "tool_calls":
            continue
        n_first = first["usage"]["completion_tokens"]
        for stream in (False, True):
            # the same tokens (same seed, same grammar) up to the end of the first call; then, with the end banned,
            # a second call starts
            try:
                result = chat_llm.create_chat_completion(MESSAGES, max_tool_calls=3, max_tokens=n_first + 3, stream=stream,
                                                         logit_bias=no_eog_bias(chat_llm), **kwargs)
                if stream:
                    result = list(result)
            except RuntimeError as exc:  # the model closed the list of calls: only the (banned) end may follow
                assert "no token can follow" in str(exc)
                break
            if stream:
                chunks = result
                finish = chunks[-1]["choices"][0]["finish_reason"]
                calls = [d["function"] for c in chunks for d in c["choices"][0]["delta"].get("tool_calls") or []]
            else:
                finish = result["choices"][0]["finish_reason"]
                calls = [c["function"] for c in _calls(result)]
            assert finish == "length"
            cut_cases += stream
            assert [(c["name"], json.loads(c["arguments"])) for c in calls] == \
                [(c["function"]["name"], json.loads(c["function"]["arguments"])) for c in _calls(first)]
    assert cut_cases >= 1


def test_single_call_when_parallel_calls_are_off(chat_llm: Llama) -> None:
    completed = 0
    for seed in range(3):
        out = chat_llm.create_chat_completion(MESSAGES, tools=[WEATHER], tool_choice="required", parallel_tool_calls=False,
                                              max_tokens=80, seed=seed, temperature=1.0)
        if out["choices"][0]["finish_reason"] == "tool_calls":
            completed += 1
            assert len(_calls(out)) == 1
    assert completed >= 1


def test_tool_choice_none_and_auto(chat_llm: Llama) -> None:
    out = chat_llm.create_chat_completion(MESSAGES, tools=[ADD], tool_choice="none", max_tokens=8, seed=1)
    assert "tool_calls" not in out["choices"][0]["message"]
    out = chat_llm.create_chat_completion(MESSAGES, tools=[ADD], tool_choice="auto", max_tokens=8, seed=1)
    message = out["choices"][0]["message"]
    assert isinstance(message.get("content"), str) or message.get("tool_calls")


def test_lazy_grammar_constrains_only_after_its_trigger(chat_llm: Llama) -> None:
    # The mechanism behind tool_choice="auto": take a token the model produces greedily anyway as the
    # trigger; before it the output is the model's own, from it on the grammar holds (3 digits, then the end).
    import re

    from llama_native import LlamaGrammar
    from llama_native.schema.gbnf import literal

    no_end = {t: -100.0 for t in chat_llm.eog_tokens()}  # discouraged, yet still the only way out once the grammar ends
    free = chat_llm.create_completion("JSON:", max_tokens=12, temperature=0, logit_bias=no_end)
    pieces = [chat_llm.token_to_piece(t) for t in chat_llm.tokenize(free["choices"][0]["text"].encode(), add_bos=False)]
    trigger = next((p.decode() for p in pieces[1:] if p.isascii() and p.strip() and p.decode().isprintable()), None)
    assert trigger is not None, pieces
    grammar = LlamaGrammar(f"root ::= {literal(trigger)} [0-9] [0-9] [0-9]", trigger_patterns=[re.escape(trigger)])
    out = chat_llm.create_completion("JSON:", max_tokens=40, temperature=0, grammar=grammar, logit_bias=no_end)
    text = out["choices"][0]["text"]
    assert out["choices"][0]["finish_reason"] == "stop", text
    before, _, after = text.partition(trigger)
    assert free["choices"][0]["text"].startswith(before)  # unconstrained until the trigger
    assert re.fullmatch(r"[0-9]{3}", after), text


def test_streamed_tool_calls_match_non_streamed(chat_llm: Llama) -> None:
    kwargs = dict(tools=[WEATHER], tool_choice="required", max_tokens=80, seed=2, temperature=1.0)
    full = chat_llm.create_chat_completion(MESSAGES, **kwargs)
    chunks = list(chat_llm.create_chat_completion(MESSAGES, stream=True, **kwargs))
    streamed = [tc for c in chunks for tc in c["choices"][0]["delta"].get("tool_calls") or []]
    assert [(c["function"]["name"], c["function"]["arguments"]) for c in streamed] == [
        (c["function"]["name"], c["function"]["arguments"]) for c in _calls(full)]
    assert [c["index"] for c in streamed] == list(range(len(streamed)))
    assert chunks[-1]["choices"][0]["finish_reason"] == full["choices"][0]["finish_reason"]


def test_tool_results_round_trip(chat_llm: Llama) -> None:
    history = MESSAGES + [
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "abc123def", "type": "function", "function": {"name": "weather", "arguments": '{"city": "Paris"}'}}]},
        {"role": "tool", "tool_call_id": "abc123def", "content": "18C and sunny"},
    ]
    prompt = chat_llm.chat_formatter(messages=history, tools=[WEATHER]).prompt
    assert "18C and sunny" in prompt or chat_llm.chat_template and "tool" not in chat_llm.chat_template
    out = chat_llm.create_chat_completion(history, tools=[WEATHER], max_tokens=4)
    assert out["choices"][0]["message"]["role"] == "assistant"


def test_schema_prompt_adds_descriptions(chat_llm: Llama) -> None:
    schema = {"type": "object", "properties": {"name": {"type": "string", "description": "NAME IN CAPITALS", "maxLength": 5}},
              "required": ["name"]}
    base = chat_llm.create_chat_completion(MESSAGES, response_format={"type": "json_object", "schema": schema}, max_tokens=1)
    more = chat_llm.create_chat_completion(MESSAGES, response_format={"type": "json_object", "schema": schema},
                                           schema_prompt=True, max_tokens=1)
    assert more["usage"]["prompt_tokens"] > base["usage"]["prompt_tokens"]


def test_bad_requests_are_clear_errors(chat_llm: Llama) -> None:
    with pytest.raises(ValueError, match="non-empty list"):
        chat_llm.create_chat_completion([])
    with pytest.raises(ValueError, match="not among the tools"):
        chat_llm.create_chat_completion(MESSAGES, tools=[ADD], tool_choice={"type": "function", "function": {"name": "nope"}})
    with pytest.raises(ValueError, match="response_format"):
        chat_llm.create_chat_completion(MESSAGES, response_format={"type": "xml"})
    with pytest.raises(ValueError, match="one of response_format"):
        chat_llm.create_chat_completion(MESSAGES, tools=[ADD], tool_choice="required", response_format={"type": "json_object"})
    with pytest.raises(ValueError, match="unknown chat_format"):
        Llama(chat_llm.model_path, chat_format="nope", vocab_only=True)


def test_named_chat_format_overrides_the_template(chat_llm: Llama) -> None:
    llm = Llama(chat_llm.model_path, n_ctx=256, chat_format="llama-2")
    assert llm.chat_formatter(messages=MESSAGES).prompt.startswith("<s>[INST] <<SYS>>")
    assert llm.create_chat_completion(MESSAGES, max_tokens=2)["choices"][0]["message"]["role"] == "assistant"


def test_no_invalid_tool_arguments_ever(chat_llm: Llama) -> None:
    # uniqueItems is not in the grammar: the end check must still keep arguments valid
    tool = {"type": "function", "function": {"name": "pick", "parameters": {"type": "object", "properties": {
        "ids": {"type": "array", "items": {"enum": [1, 2, 3]}, "uniqueItems": True, "maxItems": 3}},
        "required": ["ids"], "additionalProperties": False}}}
    for seed in range(4):
        try:
            out = chat_llm.create_chat_completion(MESSAGES, tools=[tool], tool_choice="required", parallel_tool_calls=False,
                                                  max_tokens=60, seed=seed, temperature=1.0)
        except SchemaValidationError:
            continue
        for call in _calls(out):
            jsonschema.validate(json.loads(call["function"]["arguments"]), tool["function"]["parameters"])


def test_tool_parameters_with_definitions(chat_llm: Llama) -> None:
    # pydantic puts nested models in $defs; two tools may both define "Item"
    def tool(name: str, item: dict) -> dict:
        return {"type": "function", "function": {"name": name, "parameters": {
            "$defs": {"Item": item}, "type": "object",
            "properties": {"items": {"type": "array", "items": {"$ref": "#/$defs/Item"}, "maxItems": 2}},
            "required": ["items"], "additionalProperties": False}}}

    a = tool("order", {"type": "object", "properties": {"sku": {"enum": ["x1", "x2"]}}, "required": ["sku"], "additionalProperties": False})
    b = tool("rate", {"type": "integer", "minimum": 1, "maximum": 5})
    for seed in range(3):
        out = chat_llm.create_chat_completion(MESSAGES, tools=[a, b], tool_choice="required", parallel_tool_calls=False,
                                              max_tokens=120, seed=seed, temperature=1.0)
        for call in _calls(out):
            schema = (a if call["function"]["name"] == "order" else b)["function"]["parameters"]
            jsonschema.validate(json.loads(call["function"]["arguments"]), schema)


def test_tools_with_a_response_format_reply_with_a_call_or_the_object(chat_llm: Llama) -> None:
    """tool_choice="auto" plus response_format (LangChain's ProviderStrategy): one grammar, either shape."""
    fmt = {"type": "json_schema", "json_schema": {"name": "person", "schema": PERSON}}
    completed = 0
    for seed in range(6):
        kwargs = dict(tools=[ADD, WEATHER], tool_choice="auto", response_format=fmt, max_tokens=120, seed=seed,
                      temperature=1.0)
        out = chat_llm.create_chat_completion(MESSAGES, **kwargs)
        choice = out["choices"][0]
        if choice["finish_reason"] == "length":
            continue
        completed += 1
        if choice["finish_reason"] == "tool_calls":
            for call in _calls(out):
                jsonschema.validate(json.loads(call["function"]["arguments"]), SCHEMAS[call["function"]["name"]])
        else:
            assert choice["finish_reason"] == "stop"
            jsonschema.validate(json.loads(choice["message"]["content"]), PERSON)
        streamed = list(chat_llm.create_chat_completion(MESSAGES, stream=True, **kwargs))
        content = "".join(c["choices"][0]["delta"].get("content") or "" for c in streamed)
        calls = [d for c in streamed for d in c["choices"][0]["delta"].get("tool_calls") or []]
        assert content == (choice["message"]["content"] or "")
        assert [c["function"] for c in calls] == [c["function"] for c in choice["message"].get("tool_calls") or []]
    assert completed >= 2
    with pytest.raises(ValueError, match="per request"):
        chat_llm.create_chat_completion(MESSAGES, tools=[ADD], tool_choice="required", response_format=fmt)



def test_a_reply_cut_inside_a_call_it_opened_is_flagged_under_auto() -> None:
    """Under tool_choice="auto" a call cut mid-way is text with finish_reason "length" and incomplete_tool_call.

    (Issue 31: the integrations refuse such a reply instead of taking the cut call's text for the answer.)
    """
    from helpers import ForceText

    from llama_native.testing import real_tokenizer_model_path

    llm = Llama(str(real_tokenizer_model_path("qwen2")), n_ctx=1024, seed=1)
    messages = [{"role": "user", "content": "What is 2 + 3?"}]

    def ask(max_tokens: int, stream: bool = False):  # type: ignore[no-untyped-def]
        return llm.create_chat_completion(messages, tools=[ADD], tool_choice="auto", max_tokens=max_tokens,
                                          temperature=0, logits_processor=ForceText(llm, "<tool_call>\n"),
                                          stream=stream)

    for max_tokens in (6, 9, 12):
        choice = ask(max_tokens)["choices"][0]
        assert choice["finish_reason"] == "length" and choice["incomplete_tool_call"] is True
        assert "tool_calls" not in choice["message"] and choice["message"]["content"].startswith("<tool_call>")
        last = list(ask(max_tokens, stream=True))[-1]["choices"][0]
        assert last["finish_reason"] == "length" and last["incomplete_tool_call"] is True
    whole = ask(400)["choices"][0]
    assert whole["finish_reason"] == "tool_calls" and "incomplete_tool_call" not in whole
    # a cut text reply (no call opened) carries no flag
    text = llm.create_chat_completion(messages, tools=[ADD], tool_choice="auto", max_tokens=3, temperature=0)
    assert text["choices"][0]["finish_reason"] == "length" and "incomplete_tool_call" not in text["choices"][0]
