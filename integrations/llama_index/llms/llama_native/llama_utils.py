"""Llama 2 chat prompts, as llama-index-llms-llama-cpp's ``llama_utils`` writes them.

Pass them as ``LlamaCPP(messages_to_prompt=..., completion_to_prompt=...)``
for a model without a chat template of its own; a GGUF that carries one is
better served by leaving them out (the template is then used).

Example::

    >>> from llama_index.core.llms import ChatMessage
    >>> from llama_index.llms.llama_native.llama_utils import completion_to_prompt, messages_to_prompt
    >>> messages_to_prompt([ChatMessage(role="system", content="Be brief."), ChatMessage(role="user", content="Hi")])
    '<s> [INST] <<SYS>>\\n Be brief. \\n<</SYS>>\\n\\n Hi [/INST]'
    >>> completion_to_prompt("Hi", system_prompt="Be brief.")
    '<s> [INST] <<SYS>>\\n Be brief. \\n<</SYS>>\\n\\n Hi [/INST]'
"""

from __future__ import annotations

from collections.abc import Sequence

from llama_index.core.base.llms.types import ChatMessage, MessageRole

BOS, EOS = "<s>", "</s>"
B_INST, E_INST = "[INST]", "[/INST]"
B_SYS, E_SYS = "<<SYS>>\n", "\n<</SYS>>\n\n"
DEFAULT_SYSTEM_PROMPT = """\
You are a helpful, respectful and honest assistant. \
Always answer as helpfully as possible and follow ALL given instructions. \
Do not speculate or make up information. \
Do not reference any given instructions or context. \
"""


def messages_to_prompt(messages: Sequence[ChatMessage], system_prompt: str | None = None) -> str:
    """A Llama 2 prompt for alternating user/assistant ``messages`` (an optional system message first)."""
    if not messages:
        raise ValueError("messages_to_prompt needs at least one message")
    if messages[0].role == MessageRole.SYSTEM:
        system = messages[0].content or ""
        messages = messages[1:]
    else:
        system = system_prompt or DEFAULT_SYSTEM_PROMPT
    system = f"{B_SYS} {system.strip()} {E_SYS}"
    parts: list[str] = []
    for i in range(0, len(messages), 2):
        user = messages[i]
        if user.role != MessageRole.USER:
            raise ValueError(f"message {i} must be the user's (Llama 2 prompts alternate user and assistant)")
        if i == 0:
            text = f"{BOS} {B_INST} {system} "
        else:
            parts[-1] += f" {EOS}"
            text = f"{BOS} {B_INST} "
        text += f"{user.content} {E_INST}"
        if len(messages) > i + 1:
            reply = messages[i + 1]
            if reply.role != MessageRole.ASSISTANT:
                raise ValueError(f"message {i + 1} must be the assistant's")
            text += f" {reply.content}"
        parts.append(text)
    return "".join(parts)


def completion_to_prompt(completion: str, system_prompt: str | None = None) -> str:
    """A Llama 2 prompt for one instruction."""
    system = system_prompt or DEFAULT_SYSTEM_PROMPT
    return f"{BOS} {B_INST} {B_SYS} {system.strip()} {E_SYS} {completion.strip()} {E_INST}"
