"""Chat completion, the prompt side: messages -> prompt (template), grammar and stop strings.

The token loop is the model's text completion; this module decides the
prompt, the grammar (``response_format``, ``grammar`` or tools) and the stop
strings as a :class:`PreparedChat`.  :mod:`.replies` turns the text back into
``chat.completion`` dicts or ``chat.completion.chunk`` streams (re-exported here).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..grammar import LlamaGrammar
from ..request import ChatRequest
from ..schema import schema_system_prompt
from ..schema.gbnf_rewrite import prefixed_rules
from .formats import ChatFormatter
from .prepared import PreparedChat
from .reasoning import prompt_opens_thinking, template_thinks
from .replies import chat_completion, chat_completion_chunks, incomplete_tool_call
from .template_layer import TemplatePlan
from .templates import ChatFormatterResponse
from .thinking_grammar import thinking_then
from .tools import ToolCallFormat, choose_syntax, tools_system_prompt

__all__ = [
    "PreparedChat", "Tokenize", "chat_completion", "chat_completion_chunks", "either_grammar", "incomplete_tool_call",
    "prepare_chat",
]  # fmt: skip


def _with_system_text(messages: list[dict[str, Any]], text: str) -> list[dict[str, Any]]:
    """Add ``text`` to the system message (creating one first if there is none)."""
    messages = [dict(m) for m in messages]
    if messages and messages[0].get("role") == "system":
        existing = messages[0].get("content") or ""
        if not isinstance(existing, str):
            existing = "".join(p.get("text", "") for p in existing if isinstance(p, dict))
        messages[0]["content"] = (existing + "\n\n" + text).strip()
    else:
        messages.insert(0, {"role": "system", "content": text})
    return messages


#: ``tokenize(text, add_bos, parse_special) -> token ids``: the model's tokenizer
Tokenize = Callable[[bytes, bool, bool], list[int]]


def prepare_chat(
    formatter: ChatFormatter,
    tokenize: Tokenize,
    add_bos: bool,
    messages: Sequence[dict[str, Any]],
    request: ChatRequest | None = None,
    *,
    whitespace: str = "free",
    **arguments: Any,
) -> PreparedChat:
    """Turn one chat request into prompt tokens, a grammar (schema, GBNF or tool calls) and stop strings.

    ``formatter`` renders the messages (the model's template or a named
    format), ``tokenize`` is the model's tokenizer and ``add_bos`` whether the
    model wants a BOS token: what the chat layer needs of a model, and no more.
    ``request`` holds the rest; without one, ``arguments`` are
    ``create_chat_completion``'s (``template_kwargs`` for
    ``chat_template_kwargs``) and make it.
    """
    if request is None:
        arguments["chat_template_kwargs"] = arguments.pop("template_kwargs", None)
        request = ChatRequest.from_arguments({"messages": messages, **arguments})
    if not isinstance(messages, (list, tuple)) or not messages:
        raise ValueError("messages must be a non-empty list of {'role': ..., 'content': ...} dicts")
    messages = list(messages)
    spec = request.tools
    tools, functions, mode, called = list(spec.tools), list(spec.functions), spec.mode, spec.called
    tool_choice, parallel = spec.choice, spec.allows_parallel
    schema, grammar, stop = request.structure.schema, request.structure.grammar, list(request.stop)
    template_kwargs = dict(request.chat_template_kwargs)
    whitespace = request.structure.whitespace or whitespace
    # tools under "auto" with a response_format: the reply is a tool call or the schema's object
    either = schema is not None and grammar is None and mode == "auto"

    layer = getattr(formatter, "template_layer", None)
    if layer is not None and mode in ("auto", "required") and schema is None and grammar is None:
        max_calls = spec.max_calls()
        plan = layer.plan(
            messages,
            tools or [],
            mode,
            called,
            parallel=parallel,
            max_calls=max_calls,
            template_kwargs=template_kwargs,
            tokenize=tokenize,
        )
        if plan is not None:
            return _planned_chat(plan, formatter, tokenize, add_bos, stop, mode, called)

    if layer is not None and not functions and schema is None and grammar is None:
        plan = layer.plan_reasoning(messages, template_kwargs)
        if plan is not None:  # reasoning marked otherwise than <think>: the template's own parser splits it
            return _planned_chat(plan, formatter, tokenize, add_bos, stop, "none", [])

    tool_format: ToolCallFormat | None = None
    if functions:
        known_syntax = getattr(formatter, "tool_syntax", None)
        tool_format = choose_syntax(known_syntax)
        # a template that renders no tools, or whose call syntax neither llama.cpp nor we know, does not
        # tell the model how to call: the system prompt does
        told = getattr(formatter, "supports_tools", False) and known_syntax is not None
        if not told and mode != "none":
            messages = _with_system_text(messages, tools_system_prompt(called, tool_format, parallel))

    if schema is not None:
        # a reply is an object of the declared keys unless the schema says extra keys are welcome
        # (as OpenAI's structured outputs and most clients assume; pydantic drops extras anyway)
        grammar = request.structure.compile(whitespace, "ours" if either else "auto", additional_properties=False)
    grammar_obj = grammar
    shown = request.structure.prompt_schema(grammar_obj)
    if shown is not None:
        messages = _with_system_text(messages, schema_system_prompt(shown))
    if mode in ("auto", "required") and tool_format is not None:
        max_calls = spec.max_calls()
        lazy = mode == "auto" and not either
        # llama-cpp-python builds no tool-call grammar for a template's own syntax: its whitespace mode
        # means nothing there, and tool arguments keep the free rule
        tool_ws = "free" if whitespace == "lcp" else whitespace
        calls = tool_format.grammar(called, lazy=lazy, max_calls=max_calls, whitespace=tool_ws)
        grammar_obj = calls if grammar_obj is None else either_grammar(calls, grammar_obj, tool_format)

    response: ChatFormatterResponse = formatter(
        messages=messages, tools=tools if functions else None, tool_choice=tool_choice, **template_kwargs
    )
    prompt_tokens = tokenize(response.prompt.encode("utf-8"), add_bos and not response.added_special, True)
    stops: list[str] = []
    for source in (response.stop, stop):
        if source:
            stops += [source] if isinstance(source, str) else list(source)
    marks_thinking = template_thinks(getattr(formatter, "template", None))
    structured = (schema is not None or mode == "required") and not either
    if (
        structured
        and marks_thinking
        and grammar_obj is not None
        and not grammar_obj.lazy
        and grammar_obj.llguidance_lark is None
        and template_kwargs.get("enable_thinking", True) is not False
    ):
        # a reasoning model may think before the constrained answer (reasoning=False turns it off)
        grammar_obj = thinking_then(grammar_obj, opened=prompt_opens_thinking(response.prompt))
    # a grammar that holds from the first token leaves no room to think: no split then
    thinks = marks_thinking and (grammar_obj is None or grammar_obj.lazy or grammar_obj.thinking)
    return PreparedChat(
        prompt_tokens,
        grammar_obj,
        [s for s in dict.fromkeys(stops) if s],
        mode,
        tool_format,
        called,
        thinks=thinks,
        thinking_opened=thinks and prompt_opens_thinking(response.prompt),
    )


def _planned_chat(
    plan: TemplatePlan,
    formatter: ChatFormatter,
    tokenize: Tokenize,
    add_bos: bool,
    stop: None | str | list[str],
    mode: str,
    called: list[dict[str, Any]],
) -> PreparedChat:
    """A request llama.cpp's chat layer rendered in its template's own tool syntax."""
    bos = getattr(formatter, "bos_token", "") or ""
    prompt_tokens = tokenize(plan.prompt.encode("utf-8"), add_bos and not (bos and plan.prompt.startswith(bos)), True)
    eos = getattr(formatter, "eos_token", "") or ""
    stops = list(plan.stops) + ([eos] if eos else []) + ([stop] if isinstance(stop, str) else list(stop or []))
    return PreparedChat(
        prompt_tokens, plan.grammar, [s for s in dict.fromkeys(stops) if s], mode, None, called, plan=plan
    )


def either_grammar(calls: LlamaGrammar, answer: LlamaGrammar, tool_format: ToolCallFormat) -> LlamaGrammar:
    """One grammar for "tool calls, or the answer's JSON" (a tools request with a ``response_format``).

    The two grammars' rules are renamed apart and joined under one root.  The
    end check (when either part has one) vets a text by the part it belongs
    to: tool calls if it opens one, the answer's schema otherwise.
    """
    gbnf = (
        "root ::= call-root | answer-root\n"
        + prefixed_rules(calls.grammar, "call-")
        + prefixed_rules(answer.grammar, "answer-")
    )
    call_check, answer_check = calls.end_check, answer.end_check
    end_check = None
    if call_check is not None or answer_check is not None:

        def end_check(text: str) -> bool:
            check = call_check if tool_format.find_opening(text) >= 0 else answer_check
            if check is call_check and answer_check is not None and answer_check(text):
                return True  # llama3 calls are bare JSON: an answer object may look like the opening
            return True if check is None else check(text)

    return LlamaGrammar(gbnf, end_check=end_check)
