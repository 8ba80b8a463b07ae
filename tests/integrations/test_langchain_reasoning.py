"""ChatLlamaCpp keeps a thinking model's reasoning apart: additional_kwargs["reasoning_content"], streamed too."""

from __future__ import annotations

from langchain_llama_native import ChatLlamaCpp
from llama_native.llama_cpp_source import llama_cpp_dir
from llama_native.testing import real_tokenizer_model_path


def test_reasoning_content_in_messages_and_chunks() -> None:
    template = (llama_cpp_dir() / "models" / "templates" / "deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja").read_text()
    chat = ChatLlamaCpp(model_path=str(real_tokenizer_model_path("qwen2", chat_template=template)), n_ctx=1024,
                        max_tokens=20, temperature=0, reasoning=True)
    message = chat.invoke("What is 6 times 7?")
    reasoning = message.additional_kwargs["reasoning_content"]  # the prompt opened <think>: all of it
    assert isinstance(reasoning, str) and "</think>" not in reasoning
    assert message.content_blocks[0] == {"type": "reasoning", "reasoning": reasoning}
    # reasoning=False asks the template not to think (this one then closes the tag in the prompt)
    plain = chat.invoke("What is 6 times 7?", reasoning=False)
    assert "reasoning_content" not in plain.additional_kwargs and plain.content
    streamed = None
    for chunk in chat.stream("What is 6 times 7?"):
        streamed = chunk if streamed is None else streamed + chunk
    assert streamed is not None
    assert streamed.additional_kwargs.get("reasoning_content", "") == reasoning
    assert streamed.content == message.content


def test_reasoning_budget_caps_thinking() -> None:
    template = (llama_cpp_dir() / "models" / "templates" / "deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja").read_text()
    chat = ChatLlamaCpp(model_path=str(real_tokenizer_model_path("qwen2", chat_template=template)), n_ctx=1024,
                        max_tokens=40, temperature=1.0, seed=1, reasoning=True, reasoning_budget=4)
    message = chat.invoke("What is 6 times 7?")
    # four tokens of thinking, then </think> was forced: the rest is the answer
    assert "reasoning_content" in message.additional_kwargs and message.content
    assert len(chat._client.tokenize(message.additional_kwargs["reasoning_content"].encode(), add_bos=False)) <= 8
