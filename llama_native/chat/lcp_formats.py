"""llama-cpp-python's named chat formats, rendered exactly as there (``format_chatml``, ``format_llama2``, ...).

The functions, their role strings and separators are llama-cpp-python 0.3.36's
(``llama_cpp/llama_chat_format.py``, MIT License, Copyright (c) 2023 Andrei
Betlen).  Each is registered under llama-cpp-python's name in
:mod:`llama_native.chat.formats`, so ``Llama(chat_format="openchat")``
renders the prompt llama-cpp-python renders.  As there, a format keeps only the
roles it knows (tool turns are dropped by most) and leaves the BOS token to the
tokenizer.

Example::

    >>> from llama_native.chat.lcp_formats import format_chatml
    >>> format_chatml(messages=[{"role": "user", "content": "hi"}]).prompt  # an empty system turn, as there
    '<|im_start|>system\\n<|im_end|>\\n<|im_start|>user\\nhi<|im_end|>\\n<|im_start|>assistant\\n'
"""

# ruff: noqa: E501  (the format strings are kept on their lines, as in the source)
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from .lcp_format_styles import (  # noqa: F401  (the constants are re-exported by llama_chat_format)
    CHATML_BOS_TOKEN,
    CHATML_CHAT_TEMPLATE,
    CHATML_EOS_TOKEN,
    MISTRAL_INSTRUCT_BOS_TOKEN,
    MISTRAL_INSTRUCT_CHAT_TEMPLATE,
    MISTRAL_INSTRUCT_EOS_TOKEN,
    MIXTRAL_INSTRUCT_CHAT_TEMPLATE,
    _format_add_colon_single,
    _format_add_colon_space_single,
    _format_add_colon_two,
    _format_chatglm3,
    _format_chatml,
    _format_llama2,
    _format_no_colon_single,
    _get_system_message,
    _map_roles,
)
from .templates import ChatFormatterResponse

logger = logging.getLogger("llama_native.chat")

#: llama-cpp-python's format name -> its function (registered by :mod:`llama_native.chat.formats`)
LCP_FORMATS: dict[str, Callable[..., ChatFormatterResponse]] = {}


def _lcp_format(name: str) -> Callable[[Callable[..., ChatFormatterResponse]], Callable[..., ChatFormatterResponse]]:
    def decorator(f: Callable[..., ChatFormatterResponse]) -> Callable[..., ChatFormatterResponse]:
        LCP_FORMATS[name] = f
        return f

    return decorator


# Source: https://huggingface.co/teknium/OpenHermes-2.5-Mistral-7B/blob/main/tokenizer_config.json
@_lcp_format("llama-2")
def format_llama2(
    messages: list[Any],
    **kwargs: Any,
) -> ChatFormatterResponse:
    """llama-cpp-python's ``llama-2`` chat format."""
    _system_template = "[INST] <<SYS>>\n{system_message}\n<</SYS>>"
    _roles = dict(user="<s>[INST]", assistant="[/INST]")
    _messages = _map_roles(messages, _roles)
    system_message = _get_system_message(messages)
    if system_message:
        system_message = _system_template.format(system_message=system_message)
    _prompt = _format_llama2(system_message, _messages, " ", "</s>") + "[/INST]"
    return ChatFormatterResponse(prompt=_prompt)


# Chat format for Llama-3 models, see more details at:
# https://github.com/meta-llama/llama3/blob/main/llama/tokenizer.py#L202-L229
@_lcp_format("llama-3")
def format_llama3(
    messages: list[Any],
    **kwargs: Any,
) -> ChatFormatterResponse:
    """llama-cpp-python's ``llama-3`` chat format."""
    _roles = dict(
        system="<|start_header_id|>system<|end_header_id|>\n\n",
        user="<|start_header_id|>user<|end_header_id|>\n\n",
        assistant="<|start_header_id|>assistant<|end_header_id|>\n\n",
    )
    _sep = "<|eot_id|>"
    _messages = _map_roles(messages, _roles)
    _messages.append((_roles["assistant"], None))
    _prompt = _format_no_colon_single("", _messages, _sep)
    return ChatFormatterResponse(prompt=_prompt, stop=_sep)


@_lcp_format("alpaca")
def format_alpaca(
    messages: list[Any],
    **kwargs: Any,
) -> ChatFormatterResponse:
    """llama-cpp-python's ``alpaca`` chat format."""
    _roles = dict(user="### Instruction", assistant="### Response")
    _sep = "\n\n"
    _sep2 = "</s>"
    system_message = _get_system_message(messages)
    _messages = _map_roles(messages, _roles)
    _prompt = _format_add_colon_two(system_message, _messages, _sep, _sep2)
    return ChatFormatterResponse(prompt=_prompt)


@_lcp_format("qwen")
def format_qwen(
    messages: list[Any],
    **kwargs: Any,
) -> ChatFormatterResponse:
    """llama-cpp-python's ``qwen`` chat format."""
    _roles = dict(user="<|im_start|>user", assistant="<|im_start|>assistant")
    system_message = _get_system_message(messages) or "You are a helpful assistant."
    system_template = "<|im_start|>system\n{system_message}"
    system_message = system_template.format(system_message=system_message)
    _messages = _map_roles(messages, _roles)
    _messages.append((_roles["assistant"], None))
    _sep = "<|im_end|>"
    _prompt = _format_chatml(system_message, _messages, _sep)
    _sep2 = "<|endoftext|>"
    return ChatFormatterResponse(prompt=_prompt, stop=_sep2)


@_lcp_format("vicuna")
def format(  # noqa: A001  (llama-cpp-python's name for vicuna)
    messages: list[Any],
    **kwargs: Any,
) -> ChatFormatterResponse:
    """llama-cpp-python's ``vicuna`` chat format."""
    _system_message = "A chat between a curious user and an artificial intelligence assistant. The assistant gives helpful, detailed, and polite answers to the user's questions."
    _roles = dict(user="USER", assistant="ASSISTANT")
    _sep = " "
    _sep2 = "</s>"
    system_message = _system_message
    _messages = _map_roles(messages, _roles)
    _messages.append((_roles["assistant"], None))
    _prompt = _format_add_colon_two(system_message, _messages, _sep, _sep2)
    return ChatFormatterResponse(prompt=_prompt)


@_lcp_format("oasst_llama")
def format_oasst_llama(
    messages: list[Any],
    **kwargs: Any,
) -> ChatFormatterResponse:
    """llama-cpp-python's ``oasst_llama`` chat format."""
    _system_template = "[INST] <<SYS>>\n{system_message}\n<</SYS>>\n\n"
    _roles = dict(user="<|prompter|>", assistant="<|assistant|>")
    _sep = "</s>"
    system_message = _get_system_message(messages)
    system_message = _system_template.format(system_message=system_message)
    _messages = _map_roles(messages, _roles)
    _messages.append((_roles["assistant"], None))
    _prompt = _format_no_colon_single(system_message, _messages, _sep)
    return ChatFormatterResponse(prompt=_prompt)


@_lcp_format("baichuan-2")
def format_baichuan2(
    messages: list[Any],
    **kwargs: Any,
) -> ChatFormatterResponse:
    """llama-cpp-python's ``baichuan-2`` chat format."""
    _system_template = "{system_message}"
    _roles = dict(user="<reserved_106>", assistant="<reserved_107>")
    _sep = ""
    system_message = _get_system_message(messages)
    system_message = _system_template.format(system_message=system_message)
    _messages = _map_roles(messages, _roles)
    _messages.append((_roles["assistant"], None))
    _prompt = _format_no_colon_single(system_message, _messages, _sep)
    return ChatFormatterResponse(prompt=_prompt)


@_lcp_format("baichuan")
def format_baichuan(
    messages: list[Any],
    **kwargs: Any,
) -> ChatFormatterResponse:
    """llama-cpp-python's ``baichuan`` chat format."""
    _system_template = "{system_message}"
    _roles = dict(user="<reserved_102>", assistant="<reserved_103>")
    _sep = ""
    system_message = _get_system_message(messages)
    system_message = _system_template.format(system_message=system_message)
    _messages = _map_roles(messages, _roles)
    _messages.append((_roles["assistant"], None))
    _prompt = _format_no_colon_single(system_message, _messages, _sep)
    return ChatFormatterResponse(prompt=_prompt)


@_lcp_format("openbuddy")
def format_openbuddy(
    messages: list[Any],
    **kwargs: Any,
) -> ChatFormatterResponse:
    """llama-cpp-python's ``openbuddy`` chat format."""
    _system_message = """You are a helpful, respectful and honest INTP-T AI Assistant named Buddy. You are talking to a human User.
Always answer as helpfully and logically as possible, while being safe. Your answers should not include any harmful, political, religious, unethical, racist, sexist, toxic, dangerous, or illegal content. Please ensure that your responses are socially unbiased and positive in nature.
If a question does not make any sense, or is not factually coherent, explain why instead of answering something not correct. If you don't know the answer to a question, please don't share false information.
You can speak fluently in many languages, for example: English, Chinese.
You cannot access the internet, but you have vast knowledge, cutoff: 2021-09.
You are trained by OpenBuddy team, (https://openbuddy.ai, https://github.com/OpenBuddy/OpenBuddy), you are based on LLaMA and Falcon transformers model, not related to GPT or OpenAI.

"""
    _roles = dict(user="User", assistant="Assistant")
    _sep = "\n"
    system_message = _system_message
    _messages = _map_roles(messages, _roles)
    _messages.append((_roles["assistant"], None))
    _prompt = _format_add_colon_single(system_message, _messages, _sep)
    return ChatFormatterResponse(prompt=_prompt)


@_lcp_format("redpajama-incite")
def format_redpajama_incite(
    messages: list[Any],
    **kwargs: Any,
) -> ChatFormatterResponse:
    """llama-cpp-python's ``redpajama-incite`` chat format."""
    _system_message = _get_system_message(messages)
    _roles = dict(user="<human>", assistant="<bot>")
    _sep = "\n"
    _stop = "<human>"
    system_message = _system_message
    _messages = _map_roles(messages, _roles)
    _messages.append((_roles["assistant"], None))
    _prompt = _format_add_colon_single(system_message, _messages, _sep)
    return ChatFormatterResponse(prompt=_prompt, stop=_stop)


@_lcp_format("snoozy")
def format_snoozy(
    messages: list[Any],
    **kwargs: Any,
) -> ChatFormatterResponse:
    """llama-cpp-python's ``snoozy`` chat format."""
    system_template = "### Instruction:\n{system_message}"
    default_system_message = "The prompt below is a question to answer, a task to complete, or a conversation to respond to; decide which and write an appropriate response."
    _system_message = _get_system_message(messages)
    _system_message = _system_message if _system_message != "" else default_system_message
    system_message = system_template.format(system_message=_system_message)
    _roles = dict(user="### Prompt", assistant="### Response")
    _sep = "\n"
    _stop = "###"
    system_message = _system_message
    _messages = _map_roles(messages, _roles)
    _messages.append((_roles["assistant"], None))
    _prompt = _format_add_colon_single(system_message, _messages, _sep)
    return ChatFormatterResponse(prompt=_prompt, stop=_stop)


@_lcp_format("phind")
def format_phind(
    messages: list[Any],
    **kwargs: Any,
) -> ChatFormatterResponse:
    """llama-cpp-python's ``phind`` chat format."""
    _roles = dict(user="### User Message", assistant="### Assistant")
    _sep = "\n\n"
    _system_message = "### System Prompt\nYou are an intelligent programming assistant."
    _messages = _map_roles(messages, _roles)
    _messages.append((_roles["assistant"], None))
    _prompt = _format_add_colon_single(_system_message, _messages, _sep)
    return ChatFormatterResponse(prompt=_prompt)


@_lcp_format("intel")
def format_intel(
    messages: list[Any],
    **kwargs: Any,
) -> ChatFormatterResponse:
    """llama-cpp-python's ``intel`` chat format."""
    _roles = dict(user="### User:", assistant="### Assistant:")
    _sep = "\n"
    _system_message = "### System:\n{system_message}"
    _messages = _map_roles(messages, _roles)
    _messages.append((_roles["assistant"], None))
    _prompt = _format_add_colon_single(_system_message, _messages, _sep)
    return ChatFormatterResponse(prompt=_prompt)


@_lcp_format("open-orca")
def format_open_orca(
    messages: list[Any],
    **kwargs: Any,
) -> ChatFormatterResponse:
    """llama-cpp-python's ``open-orca`` chat format."""
    system_template = "{system_message}"
    system_message = (
        "You are a helpful assistant. Please answer truthfully and write out your "
        "thinking step by step to be sure you get the right answer. If you make a mistake or encounter "
        "an error in your thinking, say so out loud and attempt to correct it. If you don't know or "
        "aren't sure about something, say so clearly. You will act as a professional logician, mathematician, "
        "and physicist. You will also act as the most appropriate type of expert to answer any particular "
        "question or solve the relevant problem; state which expert type your are, if so. Also think of "
        "any particular named expert that would be ideal to answer the relevant question or solve the "
        "relevant problem; name and act as them, if appropriate."
    )
    roles = ("User", "Assistant")
    sep = "<|end_of_turn|>\n"
    # stop_token_ids=[32000, 32001],  # "<|end_of_turn|>"
    stop_str = "User"
    system_message = system_template.format(system_message=system_message)
    _messages = _map_roles(messages, dict(zip(roles, roles)))
    _messages.append((roles[1], None))
    _prompt = _format_add_colon_space_single(system_message, _messages, sep)
    return ChatFormatterResponse(prompt=_prompt, stop=stop_str)


@_lcp_format("mistrallite")
def format_mistrallite(
    messages: list[Any],
    **kwargs: Any,
) -> ChatFormatterResponse:
    """llama-cpp-python's ``mistrallite`` chat format."""
    _roles = dict(user="<|prompter|>", assistant="</s>\n<|assistant|>")
    _sep = " "
    system_template = """<|system|>{system_message}</s>"""
    system_message = _get_system_message(messages)
    system_message = system_template.format(system_message=system_message)
    _messages = _map_roles(messages, _roles)
    _messages.append((_roles["assistant"], None))
    _prompt = _format_no_colon_single(system_message, _messages, _sep)
    return ChatFormatterResponse(prompt=_prompt)


@_lcp_format("zephyr")
def format_zephyr(
    messages: list[Any],
    **kwargs: Any,
) -> ChatFormatterResponse:
    """llama-cpp-python's ``zephyr`` chat format."""
    system_template = """<|system|>
{system_message}"""
    system_message = _get_system_message(messages)
    system_message = system_template.format(system_message=system_message)
    _roles = dict(user="<|user|>\n", assistant="<|assistant|>\n")
    _sep = "</s>"
    _messages = _map_roles(messages, _roles)
    _messages.append((_roles["assistant"], None))
    _prompt = _format_chatml(system_message, _messages, _sep)
    return ChatFormatterResponse(prompt=_prompt, stop=_sep)


@_lcp_format("pygmalion")
def format_pygmalion(
    messages: list[Any],
    **kwargs: Any,
) -> ChatFormatterResponse:
    """llama-cpp-python's ``pygmalion`` chat format."""
    system_template = """<|system|>{system_message}"""
    system_message = _get_system_message(messages)
    system_message = system_template.format(system_message=system_message)
    _roles = dict(user="<|user|>", assistant="<|model|>")
    _sep = "\n"
    _messages = _map_roles(messages, _roles)
    _messages.append((_roles["assistant"], None))
    _prompt = _format_chatml(system_message, _messages, _sep)
    return ChatFormatterResponse(prompt=_prompt, stop=_sep)


@_lcp_format("chatml")
def format_chatml(
    messages: list[Any],
    **kwargs: Any,
) -> ChatFormatterResponse:
    """llama-cpp-python's ``chatml`` chat format."""
    system_template = """<|im_start|>system
{system_message}"""
    system_message = _get_system_message(messages)
    system_message = system_template.format(system_message=system_message)
    _roles = dict(user="<|im_start|>user", assistant="<|im_start|>assistant")
    _sep = "<|im_end|>"
    _messages = _map_roles(messages, _roles)
    _messages.append((_roles["assistant"], None))
    _prompt = _format_chatml(system_message, _messages, _sep)
    return ChatFormatterResponse(prompt=_prompt, stop=_sep)


@_lcp_format("mistral-instruct")
def format_mistral_instruct(
    messages: list[Any],
    **kwargs: Any,
) -> ChatFormatterResponse:
    """llama-cpp-python's ``mistral-instruct`` chat format."""
    eos = "</s>"
    stop = eos
    prompt = ""
    for message in messages:
        if message["role"] == "user" and message["content"] is not None and isinstance(message["content"], str):
            prompt += "[INST] " + message["content"]
        elif message["role"] == "assistant" and message["content"] is not None:
            prompt += " [/INST]" + message["content"] + eos
    prompt += " [/INST]"
    return ChatFormatterResponse(prompt=prompt, stop=stop)


@_lcp_format("chatglm3")
def format_chatglm3(
    messages: list[Any],
    **kwargs: Any,
) -> ChatFormatterResponse:
    """llama-cpp-python's ``chatglm3`` chat format."""
    system_template = """<|system|>
{system_message}"""
    system_message = _get_system_message(messages)
    system_message = system_template.format(system_message=system_message)
    _roles = dict(user="<|user|>", assistant="<|assistant|>")
    _sep = "</s>"
    _messages = _map_roles(messages, _roles)
    _messages.append((_roles["assistant"], None))
    _prompt = _format_chatglm3(system_message, _messages, _sep)
    return ChatFormatterResponse(prompt=_prompt, stop=_sep)


@_lcp_format("openchat")
def format_openchat(
    messages: list[Any],
    **kwargs: Any,
) -> ChatFormatterResponse:
    """llama-cpp-python's ``openchat`` chat format."""
    system_template = "{system_message}<|end_of_turn|>"
    system_message = _get_system_message(messages)
    system_message = system_template.format(system_message=system_message)
    _roles = dict(user="GPT4 Correct User: ", assistant="<|end_of_turn|>GPT4 Correct Assistant: ")
    _sep = "<|end_of_turn|>"
    _messages = _map_roles(messages, _roles)
    _messages.append((_roles["assistant"], None))
    _prompt = _format_chatml(system_message, _messages, _sep)
    return ChatFormatterResponse(prompt=_prompt, stop=_sep)


# Chat format for Saiga models, see more details and available models:
# https://huggingface.co/collections/IlyaGusev/saiga2-saigamistral-6505d4ccc3d1e53166b636cd
@_lcp_format("saiga")
def format_saiga(
    messages: list[Any],
    **kwargs: Any,
) -> ChatFormatterResponse:
    """llama-cpp-python's ``saiga`` chat format."""
    _message_template = "<s>{role}\n{content}</s>"
    _roles = dict(user="user", bot="bot", system="system")
    _messages = _map_roles(messages, _roles)

    _prompt = ""
    for role, content in _messages:
        if content:
            _prompt += _message_template.format(role=role, content=content)
        else:
            _prompt += f"<s>{role}\n"
    # Response template
    _prompt += "<s>bot"
    return ChatFormatterResponse(prompt=_prompt.strip())


# Chat format for Google's Gemma models, see more details and available models:
# https://huggingface.co/collections/google/gemma-release-65d5efbccdbb8c4202ec078b
@_lcp_format("gemma")
def format_gemma(
    messages: list[Any],
    **kwargs: Any,
) -> ChatFormatterResponse:
    """llama-cpp-python's ``gemma`` chat format."""
    system_message = _get_system_message(messages)
    if system_message != "":
        logger.debug("`role='system'` messages are not allowed on Google's Gemma models.")
    _roles = dict(user="<start_of_turn>user\n", assistant="<start_of_turn>model\n")
    _sep = "<end_of_turn>\n"
    _messages = _map_roles(messages, _roles)
    _messages.append((_roles["assistant"], None))
    _prompt = _format_no_colon_single(system_message="", messages=_messages, sep=_sep)
    return ChatFormatterResponse(prompt=_prompt, stop=_sep)


# Tricky chat formats that require custom chat handlers
