"""The LangChain and LlamaIndex classes pass llama-cpp-python's parameters through, or refuse them.

LoRA adapters, RoPE settings, logprobs and fill-in-the-middle reach the
model the way langchain-community's ``LlamaCpp``/``ChatLlamaCpp`` and
llama-index-llms-llama-cpp name them; obsolete ones refuse with a reason.
"""

from __future__ import annotations

import pytest
from langchain_core.messages import HumanMessage
from pydantic import ValidationError

from helpers import ENV_MODEL

from langchain_llama_native import ChatLlamaCpp, LlamaCpp
from llama_index.core.llms import ChatMessage
from llama_index.llms.llama_native import LlamaCPP
from llama_index.llms.llama_native.llama_utils import completion_to_prompt, messages_to_prompt
from llama_native.testing import real_tokenizer_model_path, synthetic_lora_path, synthetic_model_path

PROMPT = "The list of cities: Paris, London,"


@pytest.mark.skipif(ENV_MODEL is not None, reason="the random LoRA adapter is written for the synthetic model")
def test_langchain_lora_path_changes_the_output() -> None:
    path = str(synthetic_model_path())
    plain = LlamaCpp(model_path=path, temperature=0, max_tokens=10, n_ctx=128)
    adapted = LlamaCpp(model_path=path, temperature=0, max_tokens=10, n_ctx=128, lora_path=str(synthetic_lora_path()))
    assert adapted.client.loras and not plain.client.loras
    assert plain.invoke(PROMPT) != adapted.invoke(PROMPT)


def test_langchain_refuses_obsolete_parameters_with_a_reason(model_path: object) -> None:
    with pytest.raises(ValidationError, match="lora_base"):
        LlamaCpp(model_path=str(model_path), lora_base="/base.gguf")
    with pytest.raises(ValidationError, match="n_parts"):
        LlamaCpp(model_path=str(model_path), n_parts=2)
    with pytest.raises(ValueError, match="suffix"):
        ChatLlamaCpp(model_path=str(model_path), suffix="x", max_tokens=2).invoke("hi")


def test_langchain_load_parameters_reach_the_model(model_path: object) -> None:
    llm = LlamaCpp(model_path=str(model_path), n_ctx=256, rope_freq_base=5000.0, f16_kv=False, logits_all=True)
    client = llm.client
    assert client.context_params.rope_freq_base == 5000.0
    assert client.context_params.type_k == client.context_params.type_v == 0  # f32
    assert client.logits_all


def test_langchain_text_logprobs_streamed_and_whole(model_path: object) -> None:
    llm = LlamaCpp(model_path=str(model_path), n_ctx=256, temperature=0, max_tokens=6, logprobs=2)
    result = llm.generate([PROMPT])
    info = result.generations[0][0].generation_info or {}
    assert len(info["logprobs"]["tokens"]) == llm.client.create_completion(PROMPT, max_tokens=6, temperature=0)[
        "usage"
    ]["completion_tokens"]
    streamed = [c for c in llm.stream(PROMPT)]
    assert "".join(streamed) == result.generations[0][0].text


def test_langchain_chat_logprobs_in_response_metadata(model_path: object) -> None:
    chat = ChatLlamaCpp(model_path=str(model_path), n_ctx=512, temperature=0, max_tokens=5, logprobs=2)
    reply = chat.invoke([HumanMessage("Say something.")])
    content = reply.response_metadata["logprobs"]["content"]
    assert len(content) == reply.usage_metadata["output_tokens"] and all(len(e["top_logprobs"]) == 2 for e in content)
    full = None
    for chunk in chat.stream([HumanMessage("Say something.")]):
        full = chunk if full is None else full + chunk
    assert full is not None
    assert [e["token"] for e in full.response_metadata["logprobs"]["content"]] == [e["token"] for e in content]
    per_call = ChatLlamaCpp(model_path=str(model_path), n_ctx=512, temperature=0, max_tokens=3).invoke(
        "hi", logprobs=True, top_logprobs=1
    )
    assert len(per_call.response_metadata["logprobs"]["content"]) == per_call.usage_metadata["output_tokens"]


@pytest.mark.skipif(ENV_MODEL is not None, reason="needs a vocabulary with fill-in-the-middle tokens (StarCoder's)")
def test_langchain_suffix_fills_the_middle() -> None:
    path = str(real_tokenizer_model_path("starcoder"))
    llm = LlamaCpp(model_path=path, n_ctx=256, temperature=0, max_tokens=4, suffix="\n    return c")
    result = llm.generate(["def add(a, b):"])
    assert result.llm_output["token_usage"]["prompt_tokens"] > len(llm.client.tokenize(b"def add(a, b):"))


def test_llama_index_logprobs_and_model_kwargs(model_path: object) -> None:
    llm = LlamaCPP(
        model_path=str(model_path),
        context_window=512,
        temperature=0,
        max_new_tokens=5,
        generate_kwargs={"logprobs": True, "top_logprobs": 2},
        model_kwargs={"type_k": "f32"},
    )
    reply = llm.chat([ChatMessage(role="user", content="Say something.")])
    assert reply.logprobs is not None and all(len(per_token) == 2 for per_token in reply.logprobs)
    assert len(reply.logprobs) == reply.raw["usage"]["completion_tokens"]
    assert llm.client.context_params.type_k == 0
    done = llm.complete("Say something.", formatted=True)
    assert done.logprobs is not None and len(done.logprobs) == done.raw["usage"]["completion_tokens"]


def test_llama_index_llama_utils_prompts() -> None:
    prompt = messages_to_prompt([ChatMessage(role="system", content="Be brief."), ChatMessage(role="user", content="Hi")])
    assert "Be brief." in prompt and "Hi" in prompt and prompt.rstrip().endswith("[/INST]")
    assert completion_to_prompt("Hi").rstrip().endswith("[/INST]") and "Hi" in completion_to_prompt("Hi")
