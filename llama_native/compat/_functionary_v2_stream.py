"""``chat_format="functionary-v2"`` with ``stream=True`` and functions: llama-cpp-python's ``generate_streaming``.

Ported from llama-cpp-python 0.3.36's ``functionary_v1_v2_chat_handler``
(``llama_cpp/llama_chat_format.py``, MIT License, Copyright (c) 2023 Andrei
Betlen), chunk for chunk: a named ``tool_choice`` streams the call's name, then
its arguments (each completion chunk's text, right-stripped, when not empty),
then a ``finish_reason`` chunk; ``"auto"`` completes the recipient first, then
streams either content (``role``-only chunk first, the turn's trailing
``"\\n<|from|>assistant\\n<|recipient|>"`` held back) or a call, and goes on
while the model opens another assistant turn.  Its quirks are kept (the
``index`` of each call, buffered newlines flushed with the next chunk's
logprobs, ``function_call`` deltas when ``functions`` were given instead of
``tools``).  Other ``tool_choice`` strings stream nothing there; here they
raise :class:`~llama_native.compat._functionary.FunctionaryUnsupportedError`,
as the non-streamed reply does.

Example (the handler needs functionary's Hugging Face tokenizer; see
:mod:`llama_native.compat._functionary_v2`)::

    >>> from llama_native.compat._functionary_v2_stream import _content_chunk
    >>> chunk = {"id": "cmpl-1", "created": 0, "model": "m", "choices": [{"text": "Hi", "logprobs": None}]}
    >>> _content_chunk(chunk, "cmpl-1", 0, "Hi")["choices"][0]["delta"]
    {'role': 'assistant', 'content': 'Hi'}
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable, Iterator
from typing import Any

from ._chat_convert import _convert_text_completion_logprobs_to_chat
from ._functionary import FunctionaryUnsupportedError, _function_grammar

CONTENT_TOKEN = "<|content|>"
STOP_TOKEN = "<|stop|>"
FROM_TOKEN = "<|from|>"
RECIPIENT_TOKEN = "<|recipient|>"


def _tool_id() -> str:
    return "".join([random.choice(string.ascii_letters + string.digits) for _ in range(24)])


def _call_delta(tools: Any, index: int, tool_id: str, name: str | None, arguments: str) -> dict[str, Any]:
    """A ``tool_calls`` delta (with ``tools``) or a legacy ``function_call`` one."""
    if tools is not None:
        return {"tool_calls": [{"index": index, "id": "call_" + tool_id, "type": "function",
                                "function": {"name": name, "arguments": arguments}}]}  # fmt: skip
    return {"function_call": {"name": name, "arguments": arguments}}


def _chunk(chunk_id: str, created: Any, model: Any, choice: dict[str, Any]) -> dict[str, Any]:
    return {"id": "chat" + chunk_id, "object": "chat.completion.chunk", "created": created, "model": model,
            "choices": [choice]}  # fmt: skip


def _content_chunk(chunk: Any, chunk_id: str, created: Any, content: str) -> dict[str, Any]:
    """A content delta carrying ``chunk``'s logprobs, as llama-cpp-python builds it."""
    logprobs = _convert_text_completion_logprobs_to_chat(chunk["choices"][0]["logprobs"])
    return _chunk(chunk_id, created, chunk["model"],
                  {"index": 0, "logprobs": logprobs, "delta": {"role": "assistant", "content": content}})  # fmt: skip


def _finish_chunk(chunk_id: str, created: Any, model: Any, tools: Any) -> dict[str, Any]:
    return _chunk(chunk_id, created, model, {
        "index": 0, "finish_reason": "tool_calls" if tools is not None else "function_call", "logprobs": None,
        "delta": {"role": None, "content": None, "function_call": None, "tool_calls": None},
    })  # fmt: skip


def _stream_named(
    create_completion: Callable[[str, Any, Any], Any], llama: Any, functions: Any, tools: Any, name: str,
    prompt: str,
) -> Iterator[Any]:  # fmt: skip
    """A named ``tool_choice``: the name, then the arguments under the call's grammar, then the finish."""
    prompt += f"{name}\n{CONTENT_TOKEN}"
    grammar = _function_grammar(llama, functions, tools, name)
    tool_id = _tool_id()
    chunk: Any = None
    first = True
    for chunk in create_completion(prompt, [STOP_TOKEN, FROM_TOKEN], grammar):
        if first:
            yield _chunk(chunk["id"], chunk["created"], chunk["model"], {
                "index": 0, "logprobs": None,
                "delta": {"role": None, "content": None, **_call_delta(tools, 0, tool_id, name, "")},
            })  # fmt: skip
            first = False
        text = chunk["choices"][0]["text"].rstrip()
        if len(text) > 0:
            logprobs = _convert_text_completion_logprobs_to_chat(chunk["choices"][0]["logprobs"])
            yield _chunk(chunk["id"], chunk["created"], chunk["model"], {
                "index": 0, "logprobs": logprobs,
                "delta": {"role": None, "content": None, **_call_delta(tools, 0, tool_id, None, text)},
            })  # fmt: skip
    yield _finish_chunk(chunk["id"], chunk["created"], chunk["model"], tools)


def _stream_content(
    completion: Iterator[Any], chunk_id: str, created: Any, chunk: Any
) -> Iterator[tuple[Any, str, Any]]:
    """The ``all`` turn's content chunks, the trailing ``"\\n<|from|>assistant\\n<|recipient|>"`` held back.

    Yields ``(chunk dict or None, completion text so far, last completion chunk)``;
    the last item carries ``None`` and the whole text.
    """
    completion_text = ""
    stop_sequence, buffer, is_end = "\n<|from|>assistant\n<|recipient|>", [], False
    for i, chunk in enumerate(completion):
        text = chunk["choices"][0]["text"]
        completion_text += text
        if is_end:
            buffer.append(text.strip(" "))
            if stop_sequence.startswith("".join(buffer)):
                continue
            buffer.pop()
            while len(buffer) > 0:  # not the turn's end: flush (with this chunk's logprobs)
                yield _content_chunk(chunk, chunk_id, created, buffer.pop(0)), completion_text, chunk
            is_end = False
        elif text == "\n":
            is_end = True
            buffer.append(text.strip(" "))
            continue
        if len(buffer) == 0 and len(text) > 0:
            yield _content_chunk(chunk, chunk_id, created, text if i > 0 else text.lstrip()), completion_text, chunk
    yield None, completion_text, chunk


def _stream_auto(
    create_completion: Callable[[str, Any, Any], Any], llama: Any, functions: Any, tools: Any, prompt: str,
) -> Iterator[Any]:  # fmt: skip
    """``tool_choice="auto"``: recipient, then content or a call, while the model opens another turn."""
    chunk_id: str | None = None
    chunk_created: Any = None
    tool_index = 0
    while True:
        completion_text = ""
        chunk: Any = None
        for chunk in create_completion(prompt, CONTENT_TOKEN, None):  # the recipient first
            completion_text += chunk["choices"][0]["text"]
        if chunk_id is None:
            chunk_id = chunk["id"]
        if chunk_created is None:
            chunk_created = chunk["created"]
        assert chunk_id is not None
        function_name = completion_text.strip()
        grammar = None
        tool_id = ""
        if function_name == "all":
            prompt += "all\n<|content|>"
            yield _chunk(chunk_id, chunk_created, chunk["model"], {
                "index": 0, "delta": {"role": "assistant", "content": ""}, "logprobs": None, "finish_reason": None,
            })  # fmt: skip
        else:
            prompt += f"{function_name}\n<|content|>"
            grammar = _function_grammar(llama, functions, tools, function_name)
            tool_id = _tool_id()
            logprobs = _convert_text_completion_logprobs_to_chat(chunk["choices"][0]["logprobs"])
            yield _chunk(chunk_id, chunk_created, chunk["model"], {
                "index": 0, "logprobs": logprobs,
                "delta": {"role": "assistant", "content": None,
                          **_call_delta(tools, tool_index, tool_id, function_name, "")},
            })  # fmt: skip
        stops = [RECIPIENT_TOKEN, STOP_TOKEN]
        completion = create_completion(prompt, stops, grammar)
        if function_name == "all":
            for content_chunk, completion_text, chunk in _stream_content(completion, chunk_id, chunk_created, chunk):
                if content_chunk is not None:
                    yield content_chunk
            if "<|from|> assistant" in completion_text or "<|from|>assistant" in completion_text:
                if completion_text.endswith("\n<|from|>assistant\n"):
                    cleaned = completion_text[: -len("\n<|from|>assistant\n")].strip()
                elif completion_text.endswith("\n<|from|> assistant\n"):
                    cleaned = completion_text[: -len("\n<|from|> assistant\n")].strip()
                else:
                    cleaned = completion_text.strip()
                prompt += f"{cleaned}\n<|from|>assistant\n<|recipient|>"
            else:
                yield _chunk(chunk_id, chunk_created, chunk["model"],
                             {"index": 0, "delta": {}, "logprobs": None, "finish_reason": "stop"})  # fmt: skip
                break
        else:
            completion_text = ""
            for chunk in completion:
                completion_text += chunk["choices"][0]["text"]
                text = chunk["choices"][0]["text"].rstrip()
                if len(text) > 0:
                    logprobs = _convert_text_completion_logprobs_to_chat(chunk["choices"][0]["logprobs"])
                    yield _chunk(chunk_id, chunk_created, chunk["model"], {
                        "index": 0, "logprobs": logprobs,
                        "delta": {"role": None, "content": None,
                                  **_call_delta(tools, tool_index, tool_id, None, text)},
                    })  # fmt: skip
            prompt += completion_text.strip()  # does the model want another turn?
            completion_text += "".join([c["choices"][0]["text"] for c in create_completion(prompt, stops, None)])
            if ("<|from|> assistant" in completion_text or "<|from|>assistant" in completion_text) and (
                tools is not None
            ):
                prompt += "\n<|from|>assistant\n<|recipient|>"
                tool_index += 1
            else:
                yield _finish_chunk(chunk_id, chunk_created, chunk["model"], tools)
                break


def functionary_v2_stream(
    create_completion: Callable[[str, Any, Any], Any], llama: Any, functions: Any, tools: Any, function_call: Any,
    prompt: str,
) -> Iterator[Any]:  # fmt: skip
    """llama-cpp-python's v2 ``generate_streaming``; ``create_completion(prompt, stop, grammar)`` streams."""
    if isinstance(function_call, dict):
        yield from _stream_named(create_completion, llama, functions, tools, function_call["name"], prompt)
    elif isinstance(function_call, str) and function_call == "auto":
        yield from _stream_auto(create_completion, llama, functions, tools, prompt)
    else:  # llama-cpp-python's generator yields nothing here (and its non-streamed reply fails)
        raise FunctionaryUnsupportedError(
            f"chat_format='functionary-v2' does not support tool_choice={function_call!r} (use 'auto', 'none' or a "
            "named function)"
        )
