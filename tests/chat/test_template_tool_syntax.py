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
from llama_native.chat.templates import legacy_functions_listing
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

# Templates whose forced calls a random-weight model does not complete under llama.cpp's grammar (the
# same one llama-server uses); what a completed call holds is still checked.  A real model completes them.
LOOSE_GRAMMARS = {
    "CohereForAI-c4ai-command-r-plus-tool_use.jinja": "the grammar lets the reply end the turn in place of a call",
    "GLM-4.6.jinja": "the grammar lets one argument repeat, which the parser refuses",
    "Kimi-K3.jinja": "arguments are raw text up to a closing tag",
    "LFM2-8B-A1B.jinja": "Python-call arguments of any type, strings unbounded",
    "LFM2.5-8B-A1B.jinja": "Python-call arguments of any type, strings unbounded",
    "LFM2.5-Instruct.jinja": "Python-call arguments of any type, strings unbounded",
    "google-gemma-4-31B-it-interleaved.jinja": "arguments in Gemma's own quoting, unbounded",
    "google-gemma-4-31B-it.jinja": "arguments in Gemma's own quoting, unbounded",
    "meetkai-functionary-medium-v3.2.jinja": "the grammar allows an 'all' recipient before the call, read as text",
    "muse-glimmer.jinja": "the recipient is raw text",
    "openai-gpt-oss-120b.jinja": "the grammar lets free analysis-channel text follow the recipient",
    "openbmb-MiniCPM5-1B.jinja": "the grammar lets required arguments be left out",
}

# Templates whose first call under "auto" llama.cpp cannot constrain (nor can llama-server).
UNTRIGGERED = {
    "meetkai-functionary-medium-v3.2.jinja": "the first call follows the prompt's '>>>': its trigger matches later calls only",
}

# Templates that mark reasoning whose replies llama.cpp's parser does not split (nor does llama-server's).
UNSPLIT = {
    "LFM2-8B-A1B.jinja": "llama.cpp's parser for this family leaves <think> in the content",
    "LFM2.5-Instruct.jinja": "llama.cpp's parser for this family leaves <think> in the content",
    "CohereForAI-c4ai-command-r7b-12-2024-tool_use.jinja": "the parser expects the answer inside <|START_RESPONSE|>",
    "tencent-Hy3.jinja": "the template closes thinking in the prompt unless reasoning_effort asks for it",
}

RESULTS: dict[str, dict[str, Any]] = {}
CALLS: dict[str, tuple[str, dict[str, Any], PreparedChat]] = {}  # a completed forced reply per template
_MODELS: dict[str, Llama] = {}
_CLOSERS: dict[str, dict[int, float]] = {}  # model path -> its logit bias (see _closers)


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
    """A bias towards tokens that close things (quotes, brackets, tags, special tokens), away from whitespace runs.

    Many syntaxes write arguments raw up to a closing tag; a random model
    would write such text forever.  The bias changes no grammar: every
    output is still one the grammar allows.
    """
    vocab = llm.model_path
    if vocab not in _CLOSERS:
        model = llm._model
        bias: dict[int, float] = {}
        for token in range(model.n_vocab):
            piece = model.token_text(token).decode("utf-8", "replace")
            if model.is_control(token) or (piece and _CLOSING.match(piece)):
                bias[token] = 4.0
            elif len(piece) > 1 and not piece.strip():
                bias[token] = -8.0  # runs of whitespace: a real model writes a newline, not twenty tabs
        _CLOSERS[vocab] = bias
    return _CLOSERS[vocab]


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
def test_forced_calls_in_the_templates_own_syntax(template: str, request: pytest.FixtureRequest) -> None:
    if template in LOOSE_GRAMMARS:
        request.applymarker(pytest.mark.xfail(reason=LOOSE_GRAMMARS[template], strict=False))
    llm = _llm(template)
    prepared = _prepare(llm, "required")
    plan = prepared.plan
    _record(
        template,
        forced=False,
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
            CALLS.setdefault(template, (text, choice["message"]["tool_calls"][0]["function"], prepared))
        elif choice["finish_reason"] == "stop":  # a call its schema refuses (raw arguments) is text, not dropped
            assert choice["message"]["content"] == text and "tool_calls" not in choice["message"]
    named = _prepare(llm, {"type": "function", "function": {"name": "get_time"}})
    text, choice = _run(llm, named, 0)
    if choice["finish_reason"] == "tool_calls":
        completed += 1
        _check_calls(choice["message"], {"get_time"})
        CALLS.setdefault(template, (text, choice["message"]["tool_calls"][0]["function"], named))
        assert len(choice["message"]["tool_calls"]) == 1
    assert completed >= 1, "no forced reply completed a call"
    _record(template, forced=True)


@pytest.mark.parametrize("template", TOOL_TEMPLATES)
def test_auto_calls_are_constrained_from_their_trigger_and_text_stays_text(template: str) -> None:
    _record(template, auto=False)
    if template not in CALLS:
        pytest.xfail("no forced call completed on random weights (test_forced_calls_...) to try the auto route with")
    llm = _llm(template)
    call_text, forced_call, forced = CALLS[template]
    auto = _prepare(llm, "auto")
    grammar = auto.grammar
    if auto.plan is not None and forced.plan is not None:
        # what the forced prompt wrote of the reply's opening, the auto reply writes itself (functionary's ">>>")
        opening = forced.plan.generation_prompt
        assert opening.startswith(auto.plan.generation_prompt)
        call_text = opening[len(auto.plan.generation_prompt):] + call_text
    if auto.plan is None:
        # llama.cpp has no trigger for bare JSON calls (Llama 3.x): our own route constrains them
        # (tests/chat/test_chat_completion.py), in the syntax the template names
        _record(template, auto="ours")
        pytest.skip("auto calls go through our own route for this template")
    if template in UNTRIGGERED:
        _record(template, auto=False)
        pytest.xfail(UNTRIGGERED[template])
    start, end = _trigger_span(grammar, call_text, llm)
    assert start >= 0, f"no trigger of {grammar.trigger_patterns} {grammar.trigger_tokens} in {call_text!r}"
    assert grammar.accepts(call_text[start:]), "the lazy grammar refuses the call from its trigger on"
    assert not grammar.accepts(call_text[start:end] + "\x01 not a call"), "junk after the trigger is not refused"
    # the forced reply read as an auto one: the same call
    message = chat_completion(_completion(call_text), auto)["choices"][0]["message"]
    assert message.get("tool_calls"), message
    parsed = message["tool_calls"][0]["function"]
    assert parsed["name"] == forced_call["name"]
    assert json.loads(parsed["arguments"]) == json.loads(forced_call["arguments"])
    # plain text stays text
    text, choice = _run(llm, auto, 0, max_tokens=24)
    if not choice["message"].get("tool_calls"):
        # (the template's parser trims the reply's outer whitespace, as llama-server's does)
        flat = "".join((auto.plan.generation_prompt + text).split())
        for part in (choice["message"].get("reasoning_content"), choice["message"]["content"]):
            assert "".join((part or "").split()) in flat, (text, choice)
        assert choice["message"].get("reasoning_content") or choice["message"]["content"], (text, choice)
    # a call the parser cannot read is text, not dropped
    broken = call_text[:end] + "\x01broken"
    message = chat_completion(_completion(broken), auto)["choices"][0]["message"]
    reply = (message.get("reasoning_content") or "") + (message["content"] or "")
    assert not message.get("tool_calls") and "broken" in reply, message
    _record(template, auto=True)


@pytest.mark.parametrize("template", TOOL_TEMPLATES)
def test_reasoning_is_apart_from_the_answer(template: str, request: pytest.FixtureRequest) -> None:
    if template in UNSPLIT:
        _record(template, reasoning_split=False)
        request.applymarker(pytest.mark.xfail(reason=UNSPLIT[template], strict=False))
    llm = _llm(template)
    prepared = _prepare(llm, "auto", template_kwargs={"enable_thinking": True})
    plan = prepared.plan
    if plan is None or not plan.thinking_ends:
        _record(template, reasoning_split=None)
        pytest.skip("the template marks no reasoning")
    thought, answer = "First, the city.", "It is sunny."
    text = _reply_as_rendered(llm, thought, answer)
    if text is None:  # the template drops a past turn's reasoning: write the reply from its markers
        text = ("" if _opens_thinking(prepared) else plan.thinking_start) + thought + plan.thinking_ends[0] + answer
    message = chat_completion(_completion(text), prepared)["choices"][0]["message"]
    # (a prompt that opened the block with words of its own, Apriel's, hands them to the reasoning too)
    assert message.get("reasoning_content", "").strip().endswith(thought), (text, message)
    assert (message["content"] or "").strip() == answer, (text, message)
    # a plain chat (no tools) splits the same reply the same way
    plain = prepare_chat(
        llm.chat_formatter, llm._model.tokenize, llm._model.add_bos, MESSAGES, tools=None, tool_choice=None,
        parallel_tool_calls=None, response_format=None, grammar=None, schema_prompt=False, stop=None,
        template_kwargs={"enable_thinking": True},
    )
    again = chat_completion(_completion(text), plain)["choices"][0]["message"]
    assert again.get("reasoning_content", "").strip().endswith(thought), (text, again)
    assert (again["content"] or "").strip() == answer, (text, again)
    _record(template, reasoning_split=True)


def _reply_as_rendered(llm: Llama, thought: str, answer: str) -> str | None:
    """A reply with reasoning as the template itself writes an assistant turn (None if it drops the reasoning)."""
    layer = llm.chat_formatter.template_layer
    request = {"messages": MESSAGES, "tools": TOOLS, "tool_choice": "auto", "enable_thinking": True}
    opened = layer.apply(request)["prompt"]
    turn = {"role": "assistant", "content": answer, "reasoning_content": thought}
    closed = layer.apply(dict(request, messages=MESSAGES + [turn], add_generation_prompt=False))["prompt"]
    if not closed.startswith(opened) or thought not in closed[len(opened):]:
        return None
    reply = closed[len(opened):]
    return reply[: reply.index(answer) + len(answer)]


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
        kwargs = dict(NO_THINKING)
        if "+ functions" in llm.chat_template:  # what we give legacy-API templates, llama-server does not
            kwargs["functions"] = legacy_functions_listing(TOOLS)
        theirs = server.post("/apply-template", {"messages": MESSAGES, "tools": TOOLS, "tool_choice": "auto",
                                                 "parallel_tool_calls": True, "chat_template_kwargs": kwargs})
    assert _without_dates(prepared.plan.prompt) == _without_dates(theirs["prompt"])


def test_readme_table_is_made_from_these_results() -> None:
    if len(RESULTS) < len(TOOL_TEMPLATES) or not all("forced" in r for r in RESULTS.values()):
        pytest.skip("needs this module's template tests in the same run")
    RESULTS_PATH.parent.mkdir(parents=True, exist_ok=True)
    RESULTS_PATH.write_text(json.dumps(RESULTS, indent=1, sort_keys=True))
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert render_table(RESULTS) in readme, "README's template table is stale: run python scripts/template_support_table.py"


def _opens_thinking(prepared: PreparedChat) -> bool:
    """Whether the prompt ends inside the template's reasoning block."""
    plan = prepared.plan
    if plan is None or not plan.thinking_ends:
        return False
    prompt = plan.generation_prompt
    return bool(plan.thinking_start) and prompt.rfind(plan.thinking_start) > prompt.rfind(plan.thinking_ends[0])


def _close_thinking(prepared: PreparedChat) -> str:
    """Text that ends the reasoning block a prompt opened (nothing when it opened none)."""
    return ("Let me see." + prepared.plan.thinking_ends[0]) if _opens_thinking(prepared) else ""


def _completion(text: str) -> dict[str, Any]:
    return {"id": "x", "created": 0, "model": "m", "usage": {},
            "choices": [{"index": 0, "text": text, "finish_reason": "stop", "logprobs": None}]}


def _trigger_span(grammar: Any, text: str, llm: Llama) -> tuple[int, int]:
    """Where the lazy grammar's first trigger matches ``text``: the constrained part starts at the first."""
    spans = []
    for pattern in grammar.trigger_patterns:
        for end in range(1, len(text) + 1):  # as the engine does: on the text so far, as it grows
            match = re.search(pattern, text[:end])
            if match:
                spans.append((match.start(1), match.end(1)) if match.re.groups else (match.start(), match.end()))
                break
    for token in grammar.trigger_tokens:
        piece = llm._model.token_text(token).decode("utf-8", "replace")
        if piece in text:
            spans.append((text.index(piece), text.index(piece) + len(piece)))
    return min(spans) if spans else (-1, -1)


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
