"""Same numbers as llama.cpp: greedy output and chat prompts compared with llama-server on a real model.

llama-server is built from the same pinned llama.cpp source
(``llama_native.llama_cpp_tools``) and serves SmolLM2-135M-Instruct (or
``LLAMA_NATIVE_TEST_MODEL``) on loopback.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from llama_native import Llama

PROMPTS = [
    "The capital of France is",
    "def fibonacci(n):\n    ",
    "Here is a list of three fruits: apples,",
]

CONVERSATIONS = [
    [{"role": "system", "content": "You are a helpful assistant."},
     {"role": "user", "content": "What is 2 + 2?"},
     {"role": "assistant", "content": "2 + 2 = 4."},
     {"role": "user", "content": "And 3 + 3?"}],
    [{"role": "user", "content": "Extract the person: Ana Costa is 41 years old."}],
    [{"role": "system", "content": "Reply in JSON."},
     {"role": "user", "content": "Jason is 30 years old."},
     {"role": "assistant", "content": '{"name": "Jason", "age": 30}'},
     {"role": "user", "content": "Mia is 27."}],
]


@pytest.fixture(scope="module")
def real_llm(real_model_path: Path) -> Llama:
    return Llama(str(real_model_path), n_ctx=2048, n_threads=2, flash_attn=None)


@pytest.mark.parametrize("prompt", PROMPTS)
def test_greedy_completion_is_token_identical_to_llama_server(real_llm: Llama, llama_server, prompt: str) -> None:
    n = 48
    ours = real_llm.create_completion(prompt, max_tokens=n, temperature=0)
    theirs = llama_server.post("/completion", {
        "prompt": prompt, "n_predict": n, "temperature": 0, "cache_prompt": False, "return_tokens": True,
        "samplers": ["top_k"], "top_k": 1,
    })
    their_tokens = list(theirs["tokens"])
    ended = theirs["stop_type"] == "eos"
    if ended:  # llama-server lists the end-of-generation token; our usage does not count it
        assert real_llm.token_is_eog(their_tokens.pop())
    # the same prompt tokens (BOS included), the same generated tokens, the same text, the same ending
    assert ours["usage"]["prompt_tokens"] == theirs["tokens_evaluated"]
    assert ours["usage"]["completion_tokens"] == len(their_tokens)
    assert real_llm.detokenize(their_tokens).decode("utf-8", "replace") == ours["choices"][0]["text"]
    assert ours["choices"][0]["text"] == theirs["content"]
    assert ours["choices"][0]["finish_reason"] == ("stop" if ended else "length")


@pytest.mark.parametrize("index", range(len(CONVERSATIONS)))
def test_chat_prompt_tokenizes_as_llama_server_jinja(real_llm: Llama, llama_server, index: int) -> None:
    messages = CONVERSATIONS[index]
    rendered = llama_server.post("/apply-template", {"messages": messages})["prompt"]
    ours = real_llm.chat_formatter(messages=messages)
    add_bos = real_llm._model.add_bos and not ours.added_special
    our_tokens = real_llm.tokenize(ours.prompt.encode(), add_bos=add_bos, special=True)
    their_tokens = real_llm.tokenize(rendered.encode(), add_bos=add_bos, special=True)
    assert our_tokens == their_tokens, (ours.prompt, rendered)
    # and llama-server tokenizes its rendering the same way
    served = llama_server.post("/tokenize", {"content": rendered, "add_special": add_bos, "parse_special": True})["tokens"]
    assert served == their_tokens


def test_chat_completion_prompt_counts_match_llama_server(real_llm: Llama, llama_server) -> None:
    messages = CONVERSATIONS[0]
    ours = real_llm.create_chat_completion(messages, max_tokens=16, temperature=0)
    theirs = llama_server.post("/v1/chat/completions", {"messages": messages, "max_tokens": 16, "temperature": 0})
    assert ours["usage"]["prompt_tokens"] == theirs["usage"]["prompt_tokens"]
    assert ours["choices"][0]["message"]["content"] == theirs["choices"][0]["message"]["content"]
