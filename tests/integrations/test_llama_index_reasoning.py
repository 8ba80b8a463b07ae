"""LlamaIndex's LlamaCPP keeps a thinking model's reasoning apart: ThinkingBlocks, and thinking deltas in streams."""

from __future__ import annotations

from llama_index.core.base.llms.types import ChatMessage, TextBlock, ThinkingBlock
from llama_index.llms.llama_native import LlamaCPP

from llama_native.llama_cpp_source import llama_cpp_dir
from llama_native.testing import real_tokenizer_model_path


def test_thinking_blocks_and_thinking_deltas() -> None:
    template = (llama_cpp_dir() / "models" / "templates" / "deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja").read_text()
    llm = LlamaCPP(model_path=str(real_tokenizer_model_path("qwen2", chat_template=template)), context_window=1024,
                   max_new_tokens=24, temperature=1.0,
                   generate_kwargs={"seed": 5, "reasoning_budget": 6, "chat_template_kwargs": {"enable_thinking": True}})
    messages = [ChatMessage(role="user", content="What is 6 times 7?")]
    reply = llm.chat(messages)
    thinking = [b for b in reply.message.blocks if isinstance(b, ThinkingBlock)]
    assert len(thinking) == 1 and thinking[0].content and "</think>" not in thinking[0].content
    text = "".join(b.text for b in reply.message.blocks if isinstance(b, TextBlock))
    assert reply.message.blocks[0] is thinking[0]  # thinking first, then the answer
    streamed_thinking = streamed_text = ""
    last = None
    for last in llm.stream_chat(messages):
        streamed_thinking += last.additional_kwargs.get("thinking_delta", "")
        streamed_text += last.delta or ""
    assert last is not None
    assert streamed_thinking == thinking[0].content and streamed_text == text
    # the thinking goes back to the template as the earlier turn's reasoning
    from llama_index.llms.llama_native._messages import to_openai_message

    assert to_openai_message(reply.message)["reasoning_content"] == thinking[0].content
