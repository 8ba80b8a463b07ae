"""llama-cpp-python's chat completion handlers: the registry, formatter handlers and Hugging Face templates.

From llama-cpp-python 0.3.36's ``llama_cpp/llama_chat_format.py`` (MIT License,
Copyright (c) 2023 Andrei Betlen).  A handler is called as
``handler(llama=..., messages=..., **request)`` and answers through the
``Llama``'s own ``tokenize`` and ``create_completion``, as there, so a handler
written for llama-cpp-python runs here unchanged.

Example::

    >>> from llama_native.llama_chat_format import get_chat_completion_handler
    >>> callable(get_chat_completion_handler("chatml-function-calling"))
    True
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from typing import Any

from jinja2.sandbox import ImmutableSandboxedEnvironment

from ..chat import ChatFormatter, ChatFormatterResponse, get_chat_formatter
from ..chat.lcp_format_styles import (
    CHATML_CHAT_TEMPLATE,
    LLAMA3_INSTRUCT_CHAT_TEMPLATE,
    MISTRAL_INSTRUCT_CHAT_TEMPLATE,
    MIXTRAL_INSTRUCT_CHAT_TEMPLATE,
)
from ..grammar import LlamaGrammar
from ._chat_convert import _convert_completion_to_chat, _convert_completion_to_chat_function
from ._schema_converter import lcp_grammar_from_json_schema
from .llama_grammar import JSON_GBNF

LlamaChatCompletionHandler = Callable[..., Any]


def _grammar_for_json(verbose: bool = False) -> LlamaGrammar:
    return LlamaGrammar.from_string(JSON_GBNF, verbose=verbose)


def _grammar_for_json_schema(schema: str, verbose: bool = False, fallback_to_json: bool = True) -> LlamaGrammar:
    try:
        return lcp_grammar_from_json_schema(schema, verbose=verbose)
    except Exception:
        if fallback_to_json:
            return _grammar_for_json(verbose=verbose)
        raise


def _grammar_for_response_format(response_format: Any, verbose: bool = False) -> LlamaGrammar | None:
    if response_format["type"] != "json_object":
        return None
    if "schema" in response_format:
        return _grammar_for_json_schema(json.dumps(response_format["schema"]), verbose=verbose)
    return _grammar_for_json(verbose=verbose)


class LlamaChatCompletionHandlerNotFoundException(Exception):
    """No chat completion handler under that name."""


class LlamaChatCompletionHandlerRegistry:
    """The chat completion handlers by name (every instance shares one table, as llama-cpp-python's singleton).

    A name that is only a chat format (:func:`llama_native.chat.register_chat_format`)
    resolves to that formatter as a handler.
    """

    _chat_handlers: dict[str, LlamaChatCompletionHandler] = {}

    def register_chat_completion_handler(
        self,
        name: str,
        chat_handler: LlamaChatCompletionHandler,
        overwrite: bool = False,
    ) -> None:
        """Add ``chat_handler`` as ``name`` (``ValueError`` if taken, unless ``overwrite``)."""
        if not overwrite and name in self._chat_handlers:
            raise ValueError(
                f"Formatter with name '{name}' is already registered. Use `overwrite=True` to overwrite it."
            )
        self._chat_handlers[name] = chat_handler

    def unregister_chat_handler(self, name: str) -> None:
        """Remove the handler ``name`` (``ValueError`` if there is none)."""
        if name in self._chat_handlers:
            del self._chat_handlers[name]
        else:
            raise ValueError(f"No formatter registered under the name '{name}'.")

    def get_chat_completion_handler_by_name(self, name: str) -> LlamaChatCompletionHandler:
        """The handler ``name``, else :class:`LlamaChatCompletionHandlerNotFoundException`."""
        try:
            chat_handler = self._chat_handlers[name]
            return chat_handler
        except KeyError:
            pass
        try:
            return chat_formatter_to_chat_completion_handler(get_chat_formatter(name))
        except ValueError:
            raise LlamaChatCompletionHandlerNotFoundException(
                f"Invalid chat handler: {name} (valid formats: {list(self._chat_handlers.keys())})"
            )


def get_chat_completion_handler(name: str) -> LlamaChatCompletionHandler:
    """The chat completion handler registered as ``name`` (a chat format's name gives that format's handler)."""
    return LlamaChatCompletionHandlerRegistry().get_chat_completion_handler_by_name(name)


def register_chat_completion_handler(name: str) -> Callable[[Any], Any]:
    """Decorator: register ``f(llama=..., messages=..., **request)`` as the handler ``name`` (``chat_format=name``)."""

    def decorator(f: Any) -> Any:
        LlamaChatCompletionHandlerRegistry().register_chat_completion_handler(name, f)
        return f

    return decorator


def chat_formatter_to_chat_completion_handler(
    chat_formatter: ChatFormatter,
) -> LlamaChatCompletionHandler:
    """A handler that renders with ``chat_formatter``, tokenizes and completes, as llama-cpp-python's does."""

    def chat_completion_handler(
        *,
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
        seed: int | None = None,
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
        logit_bias: dict[str, float] | None = None,
        logprobs: bool | None = None,
        top_logprobs: int | None = None,
        **kwargs: Any,
    ) -> Any | Iterator[Any]:
        result = chat_formatter(
            messages=messages,
            functions=functions,
            function_call=function_call,
            tools=tools,
            tool_choice=tool_choice,
            **kwargs,
        )
        prompt = llama.tokenize(
            result.prompt.encode("utf-8"),
            add_bos=not result.added_special,
            special=True,
        )
        if result.stop is not None:
            stop = [] if stop is None else [stop] if isinstance(stop, str) else stop
            rstop = result.stop if isinstance(result.stop, list) else [result.stop]
            stop = stop + rstop

        stopping_criteria = None
        if result.stopping_criteria is not None:
            stopping_criteria = result.stopping_criteria

        if response_format is not None and response_format["type"] == "json_object":
            grammar = _grammar_for_response_format(response_format, verbose=llama.verbose)

        # Convert legacy functions to tools
        if functions is not None:
            tools = [
                {
                    "type": "function",
                    "function": function,
                }
                for function in functions
            ]

        # Convert legacy function_call to tool_choice
        if function_call is not None:
            if isinstance(function_call, str) and (function_call == "none" or function_call == "auto"):
                tool_choice = function_call
            if isinstance(function_call, dict) and "name" in function_call:
                tool_choice = {
                    "type": "function",
                    "function": {
                        "name": function_call["name"],
                    },
                }

        tool = None
        if tool_choice is not None and isinstance(tool_choice, dict) and tools is not None:
            name = tool_choice["function"]["name"]
            tool = next((t for t in tools if t["function"]["name"] == name), None)
            if tool is None:
                raise ValueError(f"Tool choice '{name}' not found in tools.")
            schema = tool["function"]["parameters"]
            try:
                # create grammar from json schema
                grammar = lcp_grammar_from_json_schema(json.dumps(schema), verbose=llama.verbose)
            except Exception as e:
                if llama.verbose:
                    print(str(e), file=sys.stderr)
                grammar = LlamaGrammar.from_string(JSON_GBNF, verbose=llama.verbose)

        completion_or_chunks = llama.create_completion(
            prompt=prompt,
            temperature=temperature,
            top_p=top_p,
            top_k=top_k,
            min_p=min_p,
            typical_p=typical_p,
            logprobs=top_logprobs if logprobs else None,
            stream=stream,
            stop=stop,
            seed=seed,
            max_tokens=max_tokens,
            presence_penalty=presence_penalty,
            frequency_penalty=frequency_penalty,
            repeat_penalty=repeat_penalty,
            tfs_z=tfs_z,
            mirostat_mode=mirostat_mode,
            mirostat_tau=mirostat_tau,
            mirostat_eta=mirostat_eta,
            model=model,
            logits_processor=logits_processor,
            stopping_criteria=stopping_criteria,
            grammar=grammar,
            logit_bias=logit_bias,
        )
        if tool is not None:
            tool_name = tool["function"]["name"]
            return _convert_completion_to_chat_function(tool_name, completion_or_chunks, stream)
        return _convert_completion_to_chat(completion_or_chunks, stream=stream)

    return chat_completion_handler


def hf_autotokenizer_to_chat_formatter(
    pretrained_model_name_or_path: str | os.PathLike[str],
) -> ChatFormatter:
    """A formatter applying a Hugging Face tokenizer's chat template (needs ``transformers``)."""
    # https://huggingface.co/docs/transformers/main/chat_templating
    # https://huggingface.co/mistralai/Mistral-7B-Instruct-v0.1#instruction-format
    # https://huggingface.co/mistralai/Mistral-7B-Instruct-v0.1/blob/main/tokenizer_config.json
    try:
        from transformers import AutoTokenizer
    except ImportError as e:
        raise ImportError("hf_autotokenizer_to_chat_formatter needs transformers (pip install transformers)") from e

    tokenizer = AutoTokenizer.from_pretrained(pretrained_model_name_or_path)

    def format_autotokenizer(
        messages: list[Any],
        **kwargs: Any,
    ) -> ChatFormatterResponse:
        tokenizer.use_default_system_prompt = False
        prompt = tokenizer.apply_chat_template(messages, tokenize=False, **kwargs)
        assert isinstance(prompt, str)
        # Return formatted prompt and eos token by default
        return ChatFormatterResponse(prompt=prompt, stop=tokenizer.eos_token, added_special=True)

    return format_autotokenizer


def hf_autotokenizer_to_chat_completion_handler(
    pretrained_model_name_or_path: str | os.PathLike[str],
) -> LlamaChatCompletionHandler:
    """The handler of :func:`hf_autotokenizer_to_chat_formatter`."""
    chat_formatter = hf_autotokenizer_to_chat_formatter(pretrained_model_name_or_path)
    return chat_formatter_to_chat_completion_handler(chat_formatter)


def hf_tokenizer_config_to_chat_formatter(
    tokenizer_config: dict[str, Any],
    add_generation_prompt: bool = True,
) -> ChatFormatter:
    """A formatter rendering a ``tokenizer_config.json``'s chat template (sandboxed Jinja2)."""
    assert isinstance(tokenizer_config, dict)

    assert "chat_template" in tokenizer_config
    assert isinstance(tokenizer_config["chat_template"], str)
    chat_template = tokenizer_config["chat_template"]

    assert "bos_token" in tokenizer_config
    assert isinstance(tokenizer_config["bos_token"], str)
    bos_token = tokenizer_config["bos_token"]

    assert "eos_token" in tokenizer_config
    assert isinstance(tokenizer_config["eos_token"], str)
    eos_token = tokenizer_config["eos_token"]

    env = ImmutableSandboxedEnvironment(
        trim_blocks=True,
        lstrip_blocks=True,
    ).from_string(chat_template)

    def format_tokenizer_config(
        messages: list[Any],
        **kwargs: Any,
    ) -> ChatFormatterResponse:
        # TODO: veryify this is correct
        # Add a blank assistant message to the end of the messages to prompt the model to generate a response
        if add_generation_prompt:
            messages = [
                *messages,
                {"role": "assistant", "content": ""},
            ]
        prompt = env.render(
            messages=messages,
            bos_token=bos_token,
            eos_token=eos_token,
            **kwargs,
        )
        return ChatFormatterResponse(prompt=prompt, stop=[eos_token, bos_token], added_special=True)

    return format_tokenizer_config


def hf_tokenizer_config_to_chat_completion_handler(
    tokenizer_config: dict[str, Any],
    add_generation_prompt: bool = True,
) -> LlamaChatCompletionHandler:
    """The handler of :func:`hf_tokenizer_config_to_chat_formatter`."""
    chat_formatter = hf_tokenizer_config_to_chat_formatter(
        tokenizer_config, add_generation_prompt=add_generation_prompt
    )
    return chat_formatter_to_chat_completion_handler(chat_formatter)


def guess_chat_format_from_gguf_metadata(metadata: dict[str, str]) -> str | None:
    """The chat format name whose template is the GGUF's ``tokenizer.chat_template`` exactly, else None (as there).

    Example::

        >>> from llama_native.llama_chat_format import CHATML_CHAT_TEMPLATE
        >>> guess_chat_format_from_gguf_metadata({"tokenizer.chat_template": CHATML_CHAT_TEMPLATE})
        'chatml'
    """
    if "tokenizer.chat_template" not in metadata:
        return None
    template = metadata["tokenizer.chat_template"]
    if template == CHATML_CHAT_TEMPLATE:
        return "chatml"
    if template in (MISTRAL_INSTRUCT_CHAT_TEMPLATE, MIXTRAL_INSTRUCT_CHAT_TEMPLATE):
        return "mistral-instruct"
    if template == LLAMA3_INSTRUCT_CHAT_TEMPLATE:
        return "llama-3"
    return None
