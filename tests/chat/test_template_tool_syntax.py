"""Every real template's own tool-call syntax: told, forced, auto, parsed back, reasoning apart.

For each of the pinned llama.cpp's templates that mention tools, a
random-weight model carrying a tokenizer of the template's family and that
template:

- is told about the tools by the template itself (the rendered prompt lists
  them, and equals llama-server's rendering of the same request);
- under ``tool_choice="required"`` and a named choice writes calls in the
  template's syntax, parsed back to the tool's name and arguments that
  validate against its schema;
- under ``"auto"`` writes text that stays text, while a call in the native
  syntax is constrained from its trigger on (the lazy grammar accepts the
  forced call from the trigger, refuses junk after it) and parsed;
- a call the parser cannot read comes back as text, never dropped;
- a template that marks reasoning gets it split into ``reasoning_content``.

Each outcome is recorded; the last test checks that the README's table is
the one these results make (``python scripts/template_support_table.py``
rewrites it).  Always random weights: the behaviour under test is the
template's, not the weights'.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from llama_native import Llama
from llama_native.chat.completion import PreparedChat, chat_completion, prepare_chat
from llama_native.llama_cpp_source import llama_cpp_dir
from llama_native.testing import real_tokenizer_model_path

from template_support import RESULTS_PATH, render_table, vocabulary_for

TEMPLATE_DIR = llama_cpp_dir() / "models" / "templates"
TOOL_TEMPLATES = sorted(p.name for p in TEMPLATE_DIR.glob("*.jinja") if "tools" in p.read_text())

# numbers, booleans and enums of numbers: several syntaxes write string arguments raw up to a closing tag,
# with no bound a random model would reach (a real model closes them); string arguments are tested apart
PARAMETERS = {
    "type": "object",
    "properties": {
        "days": {"type": "integer", "minimum": 1, "maximum": 9},
        "metric": {"type": "boolean"},
    },
    "required": ["days", "metric"],
}
TOOLS = [
    {"type": "function", "function": {"name": "get_weather", "description": "Weather forecast", "parameters": PARAMETERS}},
    {"type": "function", "function": {"name": "get_time", "description": "Local time", "parameters": {
        "type": "object", "properties": {"offset": {"type": "integer", "enum": [0, 1, 2]}}, "required": ["offset"]}}},
]
MESSAGES = [{"role": "system", "content": "You are helpful."}, {"role": "user", "content": "Weather in Paris for 3 days?"}]
NO_THINKING = {"enable_thinking": False}

RESULTS: dict[str, dict[str, Any]] = {}
_MODELS: dict[str, Llama] = {}


def _llm(template: str) -> Llama:
    vocab = vocabulary_for(template)
    if vocab not in _MODELS:
        _MODELS[vocab] = Llama(str(real_tokenizer_model_path(vocab)), n_ctx=2048, seed=1, verbose=False)
    llm = _MODELS[vocab]
    llm.chat_template = (TEMPLATE_DIR / template).read_text()
    return llm


def _prepare(llm: Llama, tool_choice: Any, **kwargs: Any) -> PreparedChat:
    return prepare_chat(
        llm.chat_formatter, llm._model.tokenize, llm._model.add_bos, kwargs.pop("messages", MESSAGES),
        tools=TOOLS, tool_choice=tool_choice, parallel_tool_calls=kwargs.pop("parallel", False),
        response_format=None, grammar=None, schema_prompt=False, stop=None,
        template_kwargs=kwargs.pop("template_kwargs", NO_THINKING),
    )


def _run(llm: Llama, prepared: PreparedChat, seed: int, max_tokens: int = 200) -> tuple[str, dict[str, Any]]:
    # a random model never ends its thinking by itself: a budget of 8 tokens ends it
    budget = dict(reasoning_budget=8, reasoning_markers=prepared.reasoning_markers) if prepared.reasoning_markers else {}
    completion = llm.create_completion(
        prepared.prompt_tokens, grammar=prepared.grammar, stop=prepared.stop, max_tokens=max_tokens,
        seed=seed, temperature=1.0, logit_bias=_closers(llm), **budget,
    )
    return completion["choices"][0]["text"], chat_completion(completion, prepared)["choices"][0]


_CLOSING = re.compile(r"^\s*(</?[\w:|｜▁]*>?|[\"')\]}>,]+)\s*$")


def _closers(llm: Llama) -> dict[int, float]:
    """A bias towards tokens that close things (quotes, brackets, tags, special tokens).

    Many syntaxes write arguments raw up to a closing tag; a random model
    would write such text forever.  The bias changes no grammar: every
    output is still one the grammar allows.
    """
    cached = getattr(llm, "_test_closers", None)
    if cached is None:
        model = llm._model
        cached = {}
        for token in range(model.n_vocab):
            piece = model.token_text(token).decode("utf-8", "replace")
            if model.is_control(token) or (piece and _CLOSING.match(piece)):
                cached[token] = 4.0
        llm._test_closers = cached
    return cached


def _record(template: str, **facts: Any) -> None:
    RESULTS.setdefault(template, {}).update(facts)


def _check_calls(message: dict[str, Any], names: set[str]) -> None:
    for call in message["tool_calls"]:
        assert call["function"]["name"] in names
        arguments = json.loads(call["function"]["arguments"])
        schema = next(t["function"]["parameters"] for t in TOOLS if t["function"]["name"] == call["function"]["name"])
        jsonschema.validate(arguments, schema)


def test_there_are_63_tool_templates() -> None:
    assert len(TOOL_TEMPLATES) == 63


@pytest.mark.parametrize("template", TOOL_TEMPLATES)
def test_forced_calls_in_the_templates_own_syntax(template: str) -> None:
    llm = _llm(template)
    prepared = _prepare(llm, "required")
    plan = prepared.plan
    _record(
        template,
        native=plan is not None,
        syntax=_syntax_of(llm, template),
        reasoning=_reasoning_markers(llm),
    )
    if plan is not None:
        assert "get_weather" in plan.prompt and "get_time" in plan.prompt  # the template itself lists the tools
        assert prepared.grammar is not None and not prepared.grammar.lazy
    completed = 0
    for seed in (0, 1):
        text, choice = _run(llm, prepared, seed)
        if choice["finish_reason"] == "tool_calls":
            completed += 1
            _check_calls(choice["message"], {"get_weather", "get_time"})
        else:
            assert choice["finish_reason"] == "length", (text, choice)
    named = _prepare(llm, {"type": "function", "function": {"name": "get_time"}})
    text, choice = _run(llm, named, 0)
    if choice["finish_reason"] == "tool_calls":
        completed += 1
        _check_calls(choice["message"], {"get_time"})
        assert len(choice["message"]["tool_calls"]) == 1
    assert completed >= 2, f"only {completed} of 3 forced replies completed a call"
    _record(template, forced=True)


@pytest.mark.parametrize("template", TOOL_TEMPLATES)
def test_auto_calls_are_constrained_from_their_trigger_and_text_stays_text(template: str) -> None:
    llm = _llm(template)
    forced = _prepare(llm, {"type": "function", "function": {"name": "get_weather"}})
    call_text = ""
    for seed in range(4):
        text, choice = _run(llm, forced, seed)
        if choice["finish_reason"] == "tool_calls":
            call_text, forced_call = text, choice["message"]["tool_calls"][0]["function"]
            break
    assert call_text, "no forced call completed"
    auto = _prepare(llm, "auto")
    grammar = auto.grammar
    if grammar is None or not grammar.lazy:
        _record(template, auto=False)
        pytest.xfail("the template's calls have no opening to trigger on (bare JSON calls)")
    start = _trigger_start(grammar, call_text, llm)
    assert start >= 0, f"no trigger of {grammar.trigger_patterns} {grammar.trigger_tokens} in {call_text!r}"
    assert grammar.accepts(call_text[start:]), "the lazy grammar refuses the call from its trigger on"
    opening = call_text[start:][: max(1, len(call_text[start:]) // 3)]
    assert not grammar.accepts(opening + " } not a call"), "junk after the trigger is not refused"
    # the call after some text is parsed back to the same call
    message = chat_completion(_completion("I will check. " + call_text[start:]), auto)["choices"][0]["message"]
    assert message.get("tool_calls"), message
    parsed = message["tool_calls"][0]["function"]
    assert parsed["name"] == forced_call["name"]
    assert json.loads(parsed["arguments"]) == json.loads(forced_call["arguments"])
    # plain text stays text
    text, choice = _run(llm, auto, 0, max_tokens=24)
    if not choice["message"].get("tool_calls"):
        assert choice["message"]["content"] == text or choice["message"].get("reasoning_content")
    # a call the parser cannot read is text, not dropped
    broken = call_text[start:][: len(call_text[start:]) // 2] + "\x01broken"
    message = chat_completion(_completion(broken), auto)["choices"][0]["message"]
    assert not message.get("tool_calls") and "broken" in (message["content"] or ""), message
    _record(template, auto=True)


@pytest.mark.parametrize("template", TOOL_TEMPLATES)
def test_reasoning_is_apart_from_the_answer(template: str) -> None:
    llm = _llm(template)
    prepared = _prepare(llm, "auto", template_kwargs={"enable_thinking": True})
    plan = prepared.plan
    if plan is None or not plan.thinking_ends:
        _record(template, reasoning_split=None)
        pytest.skip("the template marks no reasoning")
    opened = plan.generation_prompt.rstrip().endswith(plan.thinking_start) if plan.thinking_start else True
    text = ("" if opened else plan.thinking_start) + "First, the city." + plan.thinking_ends[0] + "It is sunny."
    message = chat_completion(_completion(text), prepared)["choices"][0]["message"]
    assert message.get("reasoning_content", "").strip() == "First, the city."
    assert (message["content"] or "").strip() == "It is sunny."
    _record(template, reasoning_split=True)


@pytest.mark.parametrize("template", TOOL_TEMPLATES)
def test_prompt_equals_llama_servers(template: str, tmp_path: Path) -> None:
    from llama_native.llama_cpp_tools import LlamaServer

    llm = _llm(template)
    prepared = _prepare(llm, "auto", parallel=True)
    if prepared.plan is None:
        pytest.skip("the template has no tool syntax llama.cpp knows: rendered by our own route")
    template_file = tmp_path / "template.jinja"
    template_file.write_text(llm.chat_template)
    model = real_tokenizer_model_path(vocabulary_for(template))
    with LlamaServer(model, threads=1, n_ctx=512, args=["--chat-template-file", str(template_file)]) as server:
        theirs = server.post("/apply-template", {"messages": MESSAGES, "tools": TOOLS, "tool_choice": "auto",
                                                 "parallel_tool_calls": True, "chat_template_kwargs": NO_THINKING})
    assert _without_dates(prepared.plan.prompt) == _without_dates(theirs["prompt"])


def test_readme_table_is_made_from_these_results() -> None:
    if len(RESULTS) < len(TOOL_TEMPLATES) or not all("forced" in r for r in RESULTS.values()):
        pytest.skip("needs this module's template tests in the same run")
    RESULTS_PATH.parent.mkdir(parents=True, exist_ok=True)
    RESULTS_PATH.write_text(json.dumps(RESULTS, indent=1, sort_keys=True))
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert render_table(RESULTS) in readme, "README's template table is stale: run python scripts/template_support_table.py"


def _completion(text: str) -> dict[str, Any]:
    return {"id": "x", "created": 0, "model": "m", "usage": {},
            "choices": [{"index": 0, "text": text, "finish_reason": "stop", "logprobs": None}]}


def _trigger_start(grammar: Any, text: str, llm: Llama) -> int:
    starts = []
    for pattern in grammar.trigger_patterns:
        match = re.search(pattern, text)
        if match:
            starts.append(match.start(1) if match.re.groups else match.start())
    for token in grammar.trigger_tokens:
        piece = llm._model.token_text(token).decode("utf-8", "replace")
        if piece in text:
            starts.append(text.index(piece))
    return min(starts) if starts else -1


def _syntax_of(llm: Llama, template: str) -> str:
    auto = _prepare(llm, "auto")
    if auto.plan is not None and auto.grammar is not None and auto.grammar.lazy:
        applied = llm.chat_formatter.template_layer.apply(
            {"messages": MESSAGES, "tools": TOOLS, "tool_choice": "auto", "enable_thinking": False})
        return ", ".join(t["value"].strip() for t in applied["grammar_triggers"])
    if auto.tool_format is not None:
        return f"{auto.tool_format.syntax} (ours)"
    return "none"


def _reasoning_markers(llm: Llama) -> str:
    applied = llm.chat_formatter.template_layer.apply(
        {"messages": MESSAGES, "tools": TOOLS, "tool_choice": "auto", "enable_thinking": True})
    if not applied["thinking_end_tags"]:
        return ""
    return (applied["thinking_start_tag"] + " " + " ".join(applied["thinking_end_tags"])).strip()


_DATE = re.compile(r"\b\d{1,2} \w{3} \d{4}\b|\b\d{4}-\d{2}-\d{2}\b")


def _without_dates(prompt: str) -> str:
    return _DATE.sub("<date>", prompt)
