"""llama-cpp-python's ``functionary-v1``/``functionary-v2`` chat handler (``functionary_v1_v2_chat_handler``).

Ported from llama-cpp-python 0.3.36's ``llama_cpp/llama_chat_format.py`` (MIT
License, Copyright (c) 2023 Andrei Betlen); see :mod:`llama_native.compat._functionary`.
The prompt is functionary's own Hugging Face chat template: the ``Llama`` needs
``tokenizer=LlamaHFTokenizer(...)`` over functionary's tokenizer (and
``transformers`` installed), as there; otherwise llama-cpp-python's errors.
v1 or v2 is told by the tokenizer's special tokens, not by the format's name.

Example::

    >>> from llama_native import Llama
    >>> from llama_native.testing import synthetic_model_path
    >>> llm = Llama(str(synthetic_model_path()), n_ctx=256, chat_format="functionary-v2", verbose=False)
    >>> llm.create_chat_completion([{"role": "user", "content": "hi"}])  # no Hugging Face tokenizer
    Traceback (most recent call last):
    ...
    AssertionError: Please provide a valid hf_tokenizer_path from https://huggingface.co/meetkai ...
"""

from __future__ import annotations

import random
import string
from collections.abc import Iterator
from typing import Any

from ._chat_convert import _chat_reply, _convert_completion_to_chat, _convert_text_completion_logprobs_to_chat
from ._functionary import (
    _HF_TOKENIZER_MISSING,
    SYSTEM_MESSAGE,
    FunctionaryUnsupportedError,
    _function_grammar,
    _prefixed_messages,
    _sampling,
    generate_schema_from_functions,
)
from ._functionary_v2_stream import functionary_v2_stream

# v1's tokens
END_ASSISTANT_TOKEN = "<|END_OF_ASSISTANT|>"
START_FUNCTION_CALL_TOKEN = "<|START_OF_FUNCTION_CALL|>"
END_FUNCTION_CALL_TOKEN = "<|END_OF_FUNCTION_CALL|>"
# v2's tokens
RECIPIENT_TOKEN = "<|recipient|>"
FROM_TOKEN = "<|from|>"
STOP_TOKEN = "<|stop|>"
CONTENT_TOKEN = "<|content|>"


def _hf_tokenizer(llama: Any) -> Any:
    """The ``Llama``'s Hugging Face tokenizer (llama-cpp-python's ``llama.tokenizer_``), or its errors."""
    tokenizer = getattr(llama, "tokenizer_", None)
    if tokenizer is None:
        tokenizer = llama.tokenizer()
    if not hasattr(tokenizer, "hf_tokenizer"):
        raise AssertionError(
            _HF_TOKENIZER_MISSING + " (llama-native: Llama(..., tokenizer=LlamaHFTokenizer.from_pretrained(...)))"
        )
    try:
        import transformers  # noqa: F401  (llama-cpp-python imports it here)
    except ImportError as e:
        raise ModuleNotFoundError(
            "chat_format='functionary-v1'/'functionary-v2' need transformers (pip install transformers), "
            "as llama-cpp-python's handler does",
            name="transformers",
        ) from e
    return tokenizer.hf_tokenizer


def functionary_v1_v2_prompt(
    messages: list[Any], hf_tokenizer: Any, version: str, functions: list[Any] | None, tools: list[Any] | None,
    tool_choice: Any = "auto",
) -> str:  # fmt: skip
    """The prompt through functionary's chat template, ending where the handler generates."""
    all_messages: list[Any] = []
    if tool_choice == "none":
        all_messages.append({"role": "system", "content": generate_schema_from_functions([], v1_v2=True)})
    elif functions is not None:
        all_messages.append({"role": "system", "content": generate_schema_from_functions(functions, v1_v2=True)})
    elif tools is not None:
        tool_functions = [tool["function"] for tool in tools if tool["type"] == "function"]
        all_messages.append({"role": "system", "content": generate_schema_from_functions(tool_functions, v1_v2=True)})
    all_messages.append({"role": "system", "content": SYSTEM_MESSAGE})
    all_messages.extend(_prefixed_messages(messages))
    suffix = "assistant:\n" if version == "v1" else "<|from|>assistant\n<|recipient|>"
    return str(hf_tokenizer.apply_chat_template(all_messages, tokenize=False)) + suffix


def functionary_v1_v2_chat_handler(
    llama: Any,
    messages: list[Any],
    functions: list[Any] | None = None,
    function_call: Any | None = None,
    tools: list[Any] | None = None,
    tool_choice: Any | None = None,
    temperature: float = 0.2,
    top_p: float = 0.95,
    top_k: int = 40,
    min_p: float = 0.05,
    typical_p: float = 1.0,
    stream: bool = False,
    stop: str | list[str] | None = [],
    response_format: Any | None = None,
    max_tokens: int | None = None,
    presence_penalty: float = 0.0,
    frequency_penalty: float = 0.0,
    repeat_penalty: float = 1.1,
    tfs_z: float = 1.0,
    mirostat_mode: int = 0,
    mirostat_tau: float = 5.0,
    mirostat_eta: float = 0.1,
    model: str | None = None,
    logits_processor: Any | None = None,
    grammar: Any | None = None,
    **kwargs: Any,
) -> Any | Iterator[Any]:
    """llama-cpp-python's ``functionary-v1``/``-v2`` handler (needs functionary's Hugging Face tokenizer).

    ``tool_choice`` named: that call's arguments under its schema's grammar;
    ``"auto"`` (the default with tools): the model names the recipient
    (``all`` for a message) and may call several functions.  Other strings
    behave as there (v1: a plain completion; v2: llama-cpp-python fails, so
    this raises :class:`~llama_native.compat._functionary.FunctionaryUnsupportedError`).
    ``stream=True`` streams v2 as llama-cpp-python does
    (:mod:`llama_native.compat._functionary_v2_stream`); v1 refuses, as there.
    """
    sampling = _sampling(locals())
    hf_tokenizer = _hf_tokenizer(llama)
    version = "v1" if START_FUNCTION_CALL_TOKEN in hf_tokenizer.additional_special_tokens else "v2"

    if tools is not None:
        functions = [tool["function"] for tool in tools if tool["type"] == "function"]
    if tool_choice is not None:
        function_call = tool_choice if isinstance(tool_choice, str) else tool_choice["function"]
    elif function_call is None:
        function_call = "auto"
    prompt = functionary_v1_v2_prompt(messages, hf_tokenizer, version, functions, tools, function_call)

    def create_completion(prompt: str, stop: Any, grammar: Any) -> Any:
        return llama.create_completion(prompt=prompt, stream=stream, stop=stop, max_tokens=max_tokens,
                                       grammar=grammar, **sampling)  # fmt: skip

    if function_call == "none" or functions is None or len(functions) == 0:
        if version == "v1":
            stop = END_ASSISTANT_TOKEN
        else:
            stop = STOP_TOKEN
            prompt += "all\n<|content|>"
        completion_or_chunks = create_completion(prompt, stop, grammar)
        if stream is False:
            completion_or_chunks["choices"][0]["text"] = completion_or_chunks["choices"][0]["text"].lstrip()
        return _convert_completion_to_chat(completion_or_chunks, stream=stream)
    if stream is not False:
        if version == "v1":  # a generator that fails when iterated, as llama-cpp-python's

            def refused() -> Iterator[Any]:
                raise FunctionaryUnsupportedError("Streaming for v1 is not supported")
                yield  # a generator

            return refused()
        return functionary_v2_stream(create_completion, llama, functions, tools, function_call, prompt)

    content = ""
    function_calls: list[str] = []
    function_bodies: list[str] = []
    completion_tokens = 0
    completion: Any = None
    if version == "v1":
        if isinstance(function_call, dict):
            prompt += f"{START_FUNCTION_CALL_TOKEN}{function_call['name']}:\n"
            stops: Any = END_FUNCTION_CALL_TOKEN
            function_call = function_call["name"]
            function_calls.append(function_call)
            grammar = _function_grammar(llama, functions, tools, function_call)
        else:  # "auto" and other strings
            stops = ["\n", END_ASSISTANT_TOKEN]
        completion = create_completion(prompt, stops, grammar)
        completion_text = completion["choices"][0]["text"]
        completion_tokens += completion["usage"]["completion_tokens"]
        if START_FUNCTION_CALL_TOKEN not in prompt and START_FUNCTION_CALL_TOKEN not in completion_text:
            completion["usage"]["completion_tokens"] = completion_tokens
            return _convert_completion_to_chat(completion, stream=stream)
        if START_FUNCTION_CALL_TOKEN not in prompt:  # the model called a function: generate its arguments
            prompt += completion_text.replace(f"{START_FUNCTION_CALL_TOKEN} ", START_FUNCTION_CALL_TOKEN) + "\n"
            function_calls.append(completion_text.split(START_FUNCTION_CALL_TOKEN)[-1][:-1].strip())
            grammar = _function_grammar(llama, functions, tools, function_calls[-1])
            completion = create_completion(prompt, END_FUNCTION_CALL_TOKEN, grammar)
            completion_tokens += completion["usage"]["completion_tokens"]
            function_bodies.append(completion["choices"][0]["text"].strip())
        else:
            function_bodies.append(completion_text.strip())
    elif isinstance(function_call, dict):
        prompt += f"{function_call['name']}\n{CONTENT_TOKEN}"
        function_call = function_call["name"]
        function_calls.append(function_call)
        grammar = _function_grammar(llama, functions, tools, function_call)
        completion = create_completion(prompt, [STOP_TOKEN, FROM_TOKEN], grammar)
        completion_tokens += completion["usage"]["completion_tokens"]
        function_bodies.append(completion["choices"][0]["text"].strip())
    elif isinstance(function_call, str) and function_call == "auto":
        while True:
            completion = create_completion(prompt, CONTENT_TOKEN, None)  # the recipient first
            completion_text = completion["choices"][0]["text"]
            completion_tokens += completion["usage"]["completion_tokens"]
            function_name = completion_text.strip()
            grammar = None
            if function_name == "all":
                prompt += "all\n<|content|>"
            else:
                function_call = completion_text.strip()
                prompt += f"{function_call}\n<|content|>"
                function_calls.append(function_call)
                grammar = _function_grammar(llama, functions, tools, function_call)
            stops = [RECIPIENT_TOKEN, STOP_TOKEN]
            completion = create_completion(prompt, stops, grammar)
            completion_text = completion["choices"][0]["text"]
            completion_tokens += completion["usage"]["completion_tokens"]
            if function_name == "all":
                if completion_text.endswith("\n<|from|>assistant\n"):
                    content += completion_text[: -len("\n<|from|>assistant\n")]
                if completion_text.endswith("\n<|from|> assistant\n"):
                    content += completion_text[-len("\n<|from|> assistant\n")]  # sic (one character), as there
                else:
                    content += completion_text
                content = content.lstrip()
                if "<|from|> assistant" in completion_text or "<|from|>assistant" in completion_text:
                    if completion_text.endswith("\n<|from|>assistant\n"):
                        cleaned = completion_text[: -len("\n<|from|>assistant\n")].strip()
                    elif completion_text.endswith("\n<|from|> assistant\n"):
                        cleaned = completion_text[-len("\n<|from|> assistant\n")].strip()  # sic, as there
                    else:
                        cleaned = completion_text.strip()
                    prompt += f"{cleaned}\n<|from|>assistant\n<|recipient|>"
                else:
                    break
            else:
                function_bodies.append(completion_text.strip())
                prompt += completion_text.strip()  # does the model want another turn?
                completion = create_completion(prompt, stops, None)
                completion_tokens += completion["usage"]["completion_tokens"]
                text = completion["choices"][0]["text"]
                if "<|from|> assistant" in text or "<|from|>assistant" in text:
                    prompt += "\n<|from|>assistant\n<|recipient|>"
                else:
                    break
    if completion is None:  # v2 with a tool_choice string other than "auto"/"none": llama-cpp-python fails here
        raise FunctionaryUnsupportedError(
            f"chat_format='functionary-v2' does not support tool_choice={function_call!r} (use 'auto', 'none' or a "
            "named function)"
        )

    if len(function_calls) != len(function_bodies):  # v1 "auto" when the prompt already has a call: fails there too
        raise FunctionaryUnsupportedError(
            "chat_format='functionary-v1' with tool_choice='auto' cannot continue a conversation that already has a "
            "function call (llama-cpp-python fails an assertion here)"
        )
    tool_calls: list[dict[str, Any]] = [
        {"id": "call_" + "".join(random.choice(string.ascii_letters + string.digits) for _ in range(24)),
         "type": "function", "function": {"name": name, "arguments": body}}
        for name, body in zip(function_calls, function_bodies)
    ]  # fmt: skip
    function_call_dict: dict[str, Any] = {}
    if len(tool_calls) > 0:
        if tools is not None:
            function_call_dict["tool_calls"] = tool_calls
        else:
            function_call_dict["function_call"] = dict(tool_calls[0]["function"])
    completion["usage"]["completion_tokens"] = completion_tokens
    return _chat_reply(
        completion,
        {
            "index": 0,
            "logprobs": _convert_text_completion_logprobs_to_chat(completion["choices"][0]["logprobs"]),
            "message": {"role": "assistant", "content": None if content == "" else content, **function_call_dict},
            "finish_reason": "tool_calls" if len(tool_calls) > 0 else "stop",
        },
    )
