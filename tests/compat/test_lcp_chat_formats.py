"""Every chat format llama-cpp-python 0.3.36 registers renders the same prompt tokens here (side by side with it).

llama-cpp-python runs in its own venv as a subprocess (``lcp_venv.py``); both
tokenize the rendered prompt as their chat handler does
(``tokenize(prompt, add_bos=not added_special, special=True)``) with the same
GGUF's vocabulary, over a conversation with system, user, assistant (with a
tool call) and tool turns.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lcp_venv import run_lcp

from llama_native import Llama
from llama_native.chat.formats import get_chat_formatter

CONVERSATION = [
    {"role": "system", "content": "You are helpful."},
    {"role": "user", "content": "Hello"},
    {"role": "assistant", "content": "Hi! How can I help?"},
    {"role": "user", "content": "Weather in Paris?"},
    {"role": "assistant", "content": None, "tool_calls": [{"id": "call_1", "type": "function", "function": {
        "name": "get_weather", "arguments": '{"city": "Paris"}'}}]},
    {"role": "tool", "tool_call_id": "call_1", "content": "18C, sunny"},
    {"role": "user", "content": "Thanks"},
]

LCP_PROGRAM = """
import json, sys
from llama_cpp import Llama
from llama_cpp.llama_chat_format import LlamaChatCompletionHandlerRegistry
llm = Llama(sys.argv[1] if len(sys.argv) > 1 else MODEL, vocab_only=True, verbose=False)
out = {}
for name, handler in LlamaChatCompletionHandlerRegistry()._chat_handlers.items():
    cells = [c.cell_contents for c in (handler.__closure__ or ())]
    formatter = next((c for c in cells if callable(c) and getattr(c, "__name__", "").startswith("format")), None)
    if formatter is None:
        continue  # a handler (chatml-function-calling, functionary), not a format
    r = formatter(messages=MESSAGES)
    out[name] = llm.tokenize(r.prompt.encode(), add_bos=not r.added_special, special=True)
print(json.dumps(out))
"""


def lcp_prompt_tokens(model: Path) -> dict[str, list[int]]:
    source = f"MODEL = {str(model)!r}\nMESSAGES = {CONVERSATION!r}\n" + LCP_PROGRAM
    return json.loads(run_lcp(source))


@pytest.fixture(scope="module", params=["smollm2", "micro"])
def model(request: pytest.FixtureRequest) -> Path:
    from llama_native import MICRO_MODEL_PATH
    from llama_native.testing import smollm2_model_path

    path = smollm2_model_path() if request.param == "smollm2" else Path(MICRO_MODEL_PATH)
    if path is None:
        pytest.skip("SmolLM2 is not installed")
    return Path(path)


def test_every_lcp_format_renders_the_same_tokens(model: Path) -> None:
    theirs = lcp_prompt_tokens(model)
    assert len(theirs) >= 23, sorted(theirs)  # llama-2 ... saiga, gemma: every name it registers
    differ = []
    for name, tokens in sorted(theirs.items()):
        llm = Llama(str(model), vocab_only=True, chat_format=name, verbose=False)
        # llama-2 keeps llama-native's rendering by default (an existing test asserts it): compare llama-cpp-python's
        formatter = get_chat_formatter(name, legacy=False) if name == "llama-2" else llm.chat_formatter
        response = formatter(messages=CONVERSATION)
        ours = llm.tokenize(response.prompt.encode(), add_bos=not response.added_special, special=True)
        if ours != tokens:
            differ.append(name)
    assert not differ, f"prompt tokens differ from llama-cpp-python for {differ}"
