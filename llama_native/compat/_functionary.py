"""llama-cpp-python's functionary chat handlers (``chat_format="functionary"``; ``"functionary-v1"``/``-v2``).

Ported from llama-cpp-python 0.3.36's ``llama_cpp/llama_chat_format.py``
(``functionary_chat_handler``, ``functionary_v1_v2_chat_handler``; MIT License,
Copyright (c) 2023 Andrei Betlen): the same prompts (functions described as
TypeScript in a system turn), the same completions run through the ``Llama``'s
own ``create_completion``, the call arguments under a grammar built from the
function's JSON schema by llama-cpp-python's converter
(:func:`~llama_native.compat._schema_converter.lcp_grammar_from_json_schema`),
and the same replies (``tool_calls`` and the legacy ``function_call``).

Where llama-cpp-python refuses, so does this, with its error:

* ``functionary-v1``/``-v2`` render through functionary's Hugging Face
  tokenizer (``Llama(..., tokenizer=LlamaHFTokenizer.from_pretrained("meetkai/..."))``,
  which needs ``transformers``): without it, the ``AssertionError`` asking for
  one; without ``transformers``, ``ModuleNotFoundError``.
* ``functionary`` with functions and ``stream=True``: an error
  (llama-cpp-python fails an assertion after generating; this fails before).

Differences: the caller's messages are not modified (llama-cpp-python prefixes
``functions.`` to function names in them in place); ``functionary-v2``
streaming raises ``NotImplementedError`` (not ported yet).

Example::

    >>> from llama_native import Llama
    >>> from llama_native.testing import synthetic_model_path
    >>> llm = Llama(str(synthetic_model_path()), n_ctx=1024, chat_format="functionary", verbose=False)
    >>> tool = {"type": "function", "function": {"name": "f", "parameters": {
    ...     "type": "object", "properties": {"x": {"type": "integer"}}, "required": ["x"]}}}
    >>> out = llm.create_chat_completion([{"role": "user", "content": "hi"}], tools=[tool],
    ...                                  tool_choice={"type": "function", "function": {"name": "f"}}, max_tokens=16)
    >>> out["choices"][0]["message"]["function_call"]["name"]
    'f'
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

from ..grammar import LlamaGrammar
from ._chat_convert import _chat_reply, _convert_completion_to_chat, _convert_text_completion_logprobs_to_chat
from ._schema_converter import lcp_grammar_from_json_schema, lcp_json_schema_to_gbnf
from .llama_grammar import JSON_GBNF

SYSTEM_MESSAGE = (
    "A chat between a curious user and an artificial intelligence assistant. The assistant gives helpful, "
    "detailed, and polite answers to the user's questions. The assistant calls functions with appropriate input "
    "when necessary"
)
_HF_TOKENIZER_MISSING = (
    "Please provide a valid hf_tokenizer_path from https://huggingface.co/meetkai when initializing the Llama class"
)


class FunctionaryUnsupportedError(NotImplementedError, AssertionError):
    """A request llama-cpp-python's functionary handlers do not support (it fails an assertion there)."""


def _type_definition(param: dict[str, Any], indent_level: int) -> str:
    indent = "  " * indent_level
    if "$ref" in param:
        return str(param["$ref"].split("/")[-1])  # a shared definition, by name
    if param.get("type") == "array":
        return f"Array<{_type_definition(param.get('items', {}), indent_level + 1)}>"
    if param.get("type") == "object":
        nested = "{\n"
        for name, nested_param in param.get("properties", {}).items():
            nested += f"{indent}  {name}: {_type_definition(nested_param, indent_level + 1)},\n"
        return nested + indent + "}"
    if "enum" in param:
        return " | ".join(f'"{value}"' for value in param["enum"])
    return str(param.get("type", "any"))


def _shared_definitions(shared_defs: dict[str, Any], indent_level: int) -> str:
    indent = "  " * indent_level
    out = ""
    for def_name, def_properties in shared_defs.items():
        out += f"{indent}type {def_name} = "
        if def_properties.get("type") == "object":
            out += _type_definition(def_properties, indent_level)
        elif "enum" in def_properties:
            out += " | ".join(f'"{value}"' for value in def_properties["enum"])
        out += ";\n"
    return out


def generate_schema_from_functions(functions: list[Any], namespace: str = "functions", v1_v2: bool = False) -> str:
    """The TypeScript namespace functionary reads its functions from (``v1_v2``: the v1/v2 handler's layout).

    Example::

        >>> print(generate_schema_from_functions([{"name": "f", "description": "F", "parameters": {
        ...     "type": "object", "properties": {"x": {"type": "integer", "description": "X"}}}}]), end="")
        // Supported function definitions that should be called when necessary.
        namespace functions {
        <BLANKLINE>
          // F
          type f = (_: {
            // X
            x?: integer,
          }) => any;
        <BLANKLINE>
        } // namespace functions
    """
    pad1, pad2 = ("", "") if v1_v2 else ("  ", "    ")
    schema = "// Supported function definitions that should be called when necessary.\n"
    schema += f"namespace {namespace} {{\n\n"
    shared: dict[str, Any] = {}
    for function in functions:
        shared.update(function.get("parameters", {}).get("$defs", {}))
    schema += _shared_definitions(shared, 1)
    for function in functions:
        parameters = function.get("parameters", {})
        required = parameters.get("required", [])
        schema += f"{pad1}// {function.get('description', '')}\n"
        schema += f"{pad1}type {function['name']} = (_: {{\n"
        for param_name, param in parameters.get("properties", {}).items():
            optional = "" if param_name in required else "?"
            schema += f"{pad2}// {param.get('description', '')}\n"
            schema += f"{pad2}{param_name}{optional}: {_type_definition(param, 2)},\n"
        schema += f"{pad1}}}) => any;\n\n"
    return schema + f"}} // namespace {namespace}" + ("" if v1_v2 else "\n")


def _prefixed_messages(messages: list[Any]) -> list[Any]:
    """The messages with ``functions.`` before function names, as llama-cpp-python rewrites them (on copies)."""
    out = []
    for message in messages:
        message = copy.deepcopy(dict(message))
        if message["role"] == "function" and "name" in message:
            message["name"] = f"functions.{message['name']}"
        if "function_call" in message:
            message["function_call"]["name"] = f"functions.{message['function_call']['name']}"
        out.append(message)
    return out


def _v0_message_to_str(msg: Any) -> str:
    role = msg["role"]
    if role == "system":
        return f"system:\n{msg['content']}\n"
    if role == "function" and "name" in msg:
        return f"function name={msg['name']}:\n{msg['content']}\n"
    if role == "function" and "function_call" in msg:
        return f"function name={msg['function_call']['name']}:\n{msg['function_call']['arguments']}\n"
    if role == "tool":
        if msg["content"] is not None:
            return f"function name={msg['tool_call_id']}:\n{msg['content']}\n"
        return f"function name={msg['tool_call_id']}\n"
    if role == "user":
        return "user:\n</s></s>\n" if msg["content"] is None else f"user:\n</s>{msg['content']}</s>\n"
    if role == "assistant":
        if msg["content"] is not None and "function_call" in msg:
            call = msg["function_call"]
            return f"assistant:\n{msg['content']}\nassistant to={call['name']}:\n{call['arguments']}</s>\n"
        if "function_call" in msg:
            return f"assistant to={msg['function_call']['name']}:\n{msg['function_call']['arguments']}</s>\n"
        if "tool_calls" in msg and len(msg["tool_calls"]) > 0:
            tool_call = msg["tool_calls"][0]  # only the first, as there
            return f"assistant to={tool_call['id']}:\n{tool_call['function']['arguments']}</s>\n"
        if msg["content"] is None:
            return "assistant"
        return f"assistant:\n{msg['content']}\n"
    raise ValueError(f"Unsupported role: {msg['role']}")


def functionary_v0_prompt(messages: list[Any], functions: list[Any] | None, tools: list[Any] | None) -> str:
    """The ``functionary`` handler's prompt (it ends in ``assistant``, the handler adds what follows)."""
    all_messages: list[Any] = []
    if functions is not None:
        all_messages.append({"role": "system", "content": generate_schema_from_functions(functions)})
    if tools is not None:
        tool_functions = [tool["function"] for tool in tools if tool["type"] == "function"]
        all_messages.append({"role": "system", "content": generate_schema_from_functions(tool_functions)})
    all_messages.append({"role": "system", "content": SYSTEM_MESSAGE})
    all_messages.extend(_prefixed_messages(messages))
    all_messages.append({"role": "assistant", "content": None})
    return "".join(_v0_message_to_str(msg) for msg in all_messages)


def _sampling(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The sampling arguments the handlers pass on to ``create_completion`` unchanged."""
    names = ("temperature", "top_p", "top_k", "min_p", "typical_p", "presence_penalty", "frequency_penalty",
             "repeat_penalty", "tfs_z", "mirostat_mode", "mirostat_tau", "mirostat_eta", "model",
             "logits_processor")  # fmt: skip
    return {name: kwargs[name] for name in names}


def _function_grammar(llama: Any, functions: list[Any] | None, tools: list[Any] | None, name: Any) -> Any:
    """The grammar of ``name``'s arguments (its schema's; JSON when it has none or the schema fails)."""
    body = None
    for function in functions or []:
        if function["name"] == name:
            body = function["parameters"]
            break
    for tool in tools or []:
        if tool["type"] == "function" and tool["function"]["name"] == name:
            body = tool["function"]["parameters"]
            break
    if body is not None:
        try:
            grammar = lcp_grammar_from_json_schema(json.dumps(body), verbose=llama.verbose)
            if llama.verbose:
                print(lcp_json_schema_to_gbnf(json.dumps(body)))
            return grammar
        except Exception as e:
            if llama.verbose:
                print("Failed to parse function body as JSON schema, falling back to default grammar")
                print(e)
    return LlamaGrammar.from_string(JSON_GBNF, verbose=llama.verbose)


def functionary_chat_handler(
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
    """llama-cpp-python's ``functionary`` handler (functionary v0's ``user:``/``assistant to=functions.f:`` prompt).

    Without functions: a plain reply.  ``tool_choice="auto"`` (or none with
    tools): a first completion (``create_completion``'s own defaults, stopped at
    a newline) names the function, then its arguments under its schema's
    grammar.  A named function: its arguments.  A string other than ``"auto"``
    (``"required"``, ``"none"``): JSON arguments of a call named by that string,
    as llama-cpp-python does.  The reply has ``tool_calls`` and ``function_call``.
    """
    sampling = _sampling(locals())
    if tools is not None:
        functions = [tool["function"] for tool in tools if tool["type"] == "function"]
    if tool_choice is not None:
        function_call = tool_choice if isinstance(tool_choice, str) else tool_choice["function"]
    prompt = functionary_v0_prompt(messages, functions, tools)

    if function_call is None and (functions is None or len(functions) == 0):
        return _convert_completion_to_chat(
            llama.create_completion(prompt=prompt + ":\n", stream=stream, stop=["user:", "</s>"],
                                    max_tokens=max_tokens, grammar=grammar, **sampling),
            stream=stream,
        )  # fmt: skip
    if stream is not False:  # llama-cpp-python: `assert stream is False`, after generating
        raise FunctionaryUnsupportedError("chat_format='functionary' does not stream function calls (stream=True)")

    if function_call is None or (isinstance(function_call, str) and function_call == "auto"):
        newline = "\n"
        first = llama.create_completion(prompt=prompt, stop=newline, stream=False)
        completion_text = first["choices"][0]["text"]
        function_call = completion_text.split(".")[-1][:-1]  # " to=functions.NAME:" -> NAME
        new_prompt = prompt + completion_text + newline
    elif isinstance(function_call, str) and function_call != "none":
        new_prompt = prompt + ":\n"
    elif isinstance(function_call, dict):
        new_prompt = prompt + f" to=functions.{function_call['name']}:\n"
        function_call = function_call["name"]
    else:
        new_prompt = prompt + ":\n"

    grammar = _function_grammar(llama, functions, tools, function_call)
    completion = llama.create_completion(prompt=new_prompt, stop=["user:", "</s>"], stream=False, grammar=grammar,
                                         max_tokens=max_tokens, **sampling)  # fmt: skip
    if llama.verbose:
        print(new_prompt)
        print(completion["choices"][0]["text"])
    arguments = completion["choices"][0]["text"]
    return _chat_reply(
        completion,
        {
            "index": 0,
            "message": {
                "role": "assistant",
                "content": None,
                "function_call": {"name": function_call, "arguments": arguments},
                "tool_calls": [
                    {"id": function_call, "type": "function",
                     "function": {"name": function_call, "arguments": arguments}}
                ],  # fmt: skip
            },
            "logprobs": _convert_text_completion_logprobs_to_chat(completion["choices"][0]["logprobs"]),
            "finish_reason": "tool_calls",
        },
    )
