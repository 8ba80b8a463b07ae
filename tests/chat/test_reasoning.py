"""Thinking apart from the answer: a template that marks <think> gets reasoning_content, as llama-server returns it.

Runs a random-weight model carrying the Qwen2 tokenizer and DeepSeek-R1's
chat template from the pinned llama.cpp.  Its generation prompt opens
``<think>`` when ``enable_thinking`` is on, so the whole reply of a model
that never closes it is reasoning; with thinking off the prompt closes the
tag and the reply is content.
"""

from __future__ import annotations

import pytest

from llama_native import Llama
from llama_native.chat.completion import chat_completion, chat_completion_chunks
from llama_native.llama_cpp_source import llama_cpp_dir
from llama_native.testing import real_tokenizer_model_path

MESSAGES = [{"role": "user", "content": "What is 6 times 7?"}]
THINKING = {"enable_thinking": True}


@pytest.fixture(scope="module")
def r1_llm() -> Llama:
    template = (llama_cpp_dir() / "models" / "templates" / "deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja").read_text()
    # always this template on a random-weight model: the behaviour under test is the template's, not the weights'
    return Llama(str(real_tokenizer_model_path("qwen2", chat_template=template)), n_ctx=1024, seed=3)


def _streamed(llm: Llama, **kwargs) -> tuple[str, str]:
    reasoning = content = ""
    for chunk in llm.create_chat_completion(MESSAGES, stream=True, **kwargs):
        delta = chunk["choices"][0]["delta"]
        reasoning += delta.get("reasoning_content") or ""
        content += delta.get("content") or ""
    return reasoning, content


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_thinking_goes_to_reasoning_content_streamed_or_not(r1_llm: Llama, seed: int) -> None:
    kwargs = dict(max_tokens=24, seed=seed, temperature=1.0, chat_template_kwargs=THINKING)
    message = r1_llm.create_chat_completion(MESSAGES, **kwargs)["choices"][0]["message"]
    assert "reasoning_content" in message  # the prompt opened <think>
    assert "</think>" not in message["reasoning_content"] and "</think>" not in (message["content"] or "")
    assert _streamed(r1_llm, **kwargs) == (message["reasoning_content"], message["content"] or "")


def test_without_thinking_the_reply_is_content(r1_llm: Llama) -> None:
    kwargs = dict(max_tokens=16, seed=0, temperature=1.0, chat_template_kwargs={"enable_thinking": False})
    message = r1_llm.create_chat_completion(MESSAGES, **kwargs)["choices"][0]["message"]
    assert "reasoning_content" not in message and message["content"]
    assert _streamed(r1_llm, **kwargs) == ("", message["content"])


@pytest.mark.parametrize(
    ("text", "reasoning", "content"),
    [
        ("<think>\nMultiply.\n</think>\n\n42", "Multiply.", "42"),
        ("Multiply.\n</think>\n\n42", "Multiply.", "42"),  # the prompt opened the tag
        ("Multiply first, then", "Multiply first, then", ""),  # cut before </think>: all reasoning
    ],
)
def test_a_reply_splits_at_the_end_of_thinking(r1_llm: Llama, text: str, reasoning: str, content: str) -> None:
    from llama_native.chat.completion import prepare_chat

    prepared = prepare_chat(
        r1_llm.chat_formatter, lambda b, bos, special: r1_llm.tokenize(b, bos, special), True, MESSAGES, tools=None, tool_choice=None, parallel_tool_calls=None,
        response_format=None, grammar=None, schema_prompt=False, stop=None, template_kwargs=THINKING,
    )
    assert prepared.thinks and prepared.thinking_opened
    completion = {"id": "x", "created": 0, "model": "m", "usage": {},
                  "choices": [{"text": text, "finish_reason": "stop", "index": 0}]}
    message = chat_completion(completion, prepared)["choices"][0]["message"]
    assert (message["reasoning_content"], message["content"]) == (reasoning, content)
    pieces = [text[i:i + 3] for i in range(0, len(text), 3)]
    chunks = [{"model": "m", "choices": [{"text": p, "finish_reason": None}]} for p in pieces[:-1]]
    chunks.append({"model": "m", "choices": [{"text": pieces[-1], "finish_reason": "stop"}], "usage": {}})
    deltas = [c["choices"][0]["delta"] for c in chat_completion_chunks(iter(chunks), prepared)]
    assert "".join(d.get("reasoning_content") or "" for d in deltas) == reasoning
    assert "".join(d.get("content") or "" for d in deltas) == content


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_schema_reply_may_think_first(r1_llm: Llama, seed: int) -> None:
    """The grammar starts after the thinking: reasoning_content, then content that validates."""
    import json

    schema = {"type": "object", "properties": {"answer": {"type": "integer"}}, "required": ["answer"]}
    response_format = {"type": "json_schema", "json_schema": {"name": "a", "schema": schema}}
    kwargs = dict(max_tokens=60, seed=seed, temperature=1.0, chat_template_kwargs=THINKING, reasoning_budget=6,
                  response_format=response_format)
    out = r1_llm.create_chat_completion(MESSAGES, **kwargs)["choices"][0]
    message = out["message"]
    assert message.get("reasoning_content")  # thought first (the prompt opened <think>; six tokens at most)
    if out["finish_reason"] == "stop":
        assert isinstance(json.loads(message["content"])["answer"], int)
    assert _streamed(r1_llm, **kwargs) == (message["reasoning_content"], message["content"] or "")
    # thinking turned off: the grammar holds from the first token, the reply is the object
    off = r1_llm.create_chat_completion(MESSAGES, **dict(kwargs, chat_template_kwargs={"enable_thinking": False},
                                                         reasoning_budget=None))["choices"][0]["message"]
    assert "reasoning_content" not in off
