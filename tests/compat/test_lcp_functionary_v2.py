"""``chat_format="functionary-v1"``/``"functionary-v2"`` side by side with llama-cpp-python 0.3.36, past its checks.

Both handlers render through functionary's Hugging Face tokenizer
(``Llama(tokenizer=LlamaHFTokenizer(...))``), which cannot be downloaded here;
the same stand-in runs under both: functionary's special tokens, a chat
template in functionary v2's (or v1's) layout, and the GGUF's own vocabulary
for the ids.  ``transformers`` must import (llama-cpp-python's handler
imports it): llama-cpp-python's venv borrows this venv's copy, appended last
to its ``sys.path``.  Compared greedy: every prompt completed (token ids) and
the replies (tool call ids are random there, so dropped), under ``tool_choice``
unset, named, ``"none"`` and without tools.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest
from lcp_venv import run_lcp, run_ours

PROGRAM = r"""
import copy, json, sys
sys.path.append(SITE)  # transformers, for llama-cpp-python's venv (its own packages come first)
import jinja2
from llama_cpp import Llama
from llama_cpp.llama_tokenizer import LlamaHFTokenizer, LlamaTokenizer

V2 = ("{% for m in messages %}{% if m.role in ['user', 'system'] %}<|from|>{{ m.role }}\n<|recipient|>all\n"
      "<|content|>{{ m.content }}\n{% elif m.role in ['tool', 'function'] %}<|from|>{{ m.name or m.tool_call_id }}\n"
      "<|recipient|>all\n<|content|>{{ m.content }}\n{% else %}{% if m.content is not none %}<|from|>assistant\n"
      "<|recipient|>all\n<|content|>{{ m.content }}{% endif %}{% for c in m.tool_calls or [] %}"
      "{% if not loop.first or m.content is not none %}\n{% endif %}<|from|>assistant\n<|recipient|>"
      "{{ c.function.name }}\n<|content|>{{ c.function.arguments }}{% endfor %}<|stop|>\n{% endif %}{% endfor %}")
V1 = ("{% for m in messages %}{% if m.role == 'system' %}system:\n{{ m.content }}<|END_OF_SYSTEM|>\n"
      "{% elif m.role == 'user' %}user:\n{{ m.content }}<|END_OF_USER|>\n{% elif m.role in ['tool', 'function'] %}"
      "function name={{ m.name or m.tool_call_id }}:\n{{ m.content }}<|END_OF_FUNCTION_RESULT|>\n{% else %}"
      "assistant:\n{{ m.content or '' }}{% for c in m.tool_calls or [] %}<|START_OF_FUNCTION_CALL|>"
      "{{ c.function.name }}:\n{{ c.function.arguments }}<|END_OF_FUNCTION_CALL|>{% endfor %}"
      "<|END_OF_ASSISTANT|>\n{% endif %}{% endfor %}")


class FunctionaryTokenizer:
    # functionary's tokenizer as the handler uses it: special tokens, chat template, ids (the GGUF's)
    def __init__(self, version):
        self.gguf = Llama(MODEL, vocab_only=True, verbose=False)  # kept: llama-cpp-python's from_ggml_file frees it
        self.vocab = LlamaTokenizer(self.gguf)
        self.template = jinja2.Environment().from_string(V1 if version == "v1" else V2)
        self.additional_special_tokens = (
            ["<|END_OF_SYSTEM|>", "<|END_OF_USER|>", "<|END_OF_ASSISTANT|>", "<|END_OF_FUNCTION_RESULT|>",
             "<|START_OF_FUNCTION_CALL|>", "<|END_OF_FUNCTION_CALL|>"] if version == "v1"
            else ["<|recipient|>", "<|from|>", "<|stop|>", "<|content|>"])

    def apply_chat_template(self, messages, tokenize=True):
        return self.template.render(messages=messages)

    def encode(self, text, add_special_tokens=True):
        return self.vocab.tokenize(text.encode(), add_bos=add_special_tokens, special=True)

    def decode(self, tokens, skip_special_tokens=False):
        return self.vocab.detokenize(tokens).decode(errors="ignore")


TOOLS = [{"type": "function", "function": {"name": "get_weather", "description": "Weather in a city",
          "parameters": {"type": "object", "properties": {"city": {"type": "string", "description": "City"}},
          "required": ["city"]}}}]
CONV = [
    {"role": "system", "content": "You are helpful."},
    {"role": "user", "content": "Weather in Paris?"},
    {"role": "assistant", "content": None, "tool_calls": [{"id": "call_1", "type": "function", "function": {
        "name": "get_weather", "arguments": '{"city": "Paris"}'}}]},
    {"role": "tool", "tool_call_id": "call_1", "content": "18C, sunny"},
    {"role": "user", "content": "And in Rome?"},
]
out = {}
for version in ["v1", "v2"]:
    llm = Llama(MODEL, n_ctx=512, chat_format="functionary-" + version, verbose=False, seed=7,
                tokenizer=LlamaHFTokenizer(FunctionaryTokenizer(version)))
    prompts = []
    create_completion = llm.create_completion
    def spy(*args, **kwargs):
        prompts.append(llm.tokenize(kwargs["prompt"].encode(), special=True))
        return create_completion(*args, **kwargs)
    llm.create_completion = spy
    for name, kwargs in [("auto", dict(tools=TOOLS)), ("named", dict(tools=TOOLS, tool_choice={
            "type": "function", "function": {"name": "get_weather"}})), ("none", dict(tools=TOOLS, tool_choice="none")),
            ("no_tools", {}), ("functions", dict(functions=[TOOLS[0]["function"]], function_call={"name": "get_weather"}))]:
        llm.reset()
        prompts.clear()
        try:
            r = llm.create_chat_completion(copy.deepcopy(CONV), temperature=0, max_tokens=8, **kwargs)
        except AssertionError:  # v1 "auto" after a call in the conversation fails an assertion there
            out[version + " " + name] = ["AssertionError", None, list(prompts)]
            continue
        r = json.loads(json.dumps(r))
        for call in r["choices"][0]["message"].get("tool_calls") or []:
            call.pop("id")
        r["usage"].pop("prompt_tokens_details", None)
        out[version + " " + name] = [r["choices"], r["usage"], list(prompts)]
    try:
        list(llm.create_chat_completion(copy.deepcopy(CONV), tools=TOOLS, stream=True, max_tokens=4))
        out[version + " stream"] = None
    except Exception as e:
        out[version + " stream"] = isinstance(e, AssertionError)
print(json.dumps(out))
"""


@pytest.fixture(scope="module", params=["smollm2", "micro"])
def both(request: pytest.FixtureRequest) -> tuple[dict[str, Any], dict[str, Any]]:
    from llama_native import MICRO_MODEL_PATH
    from llama_native.testing import smollm2_model_path

    spec = importlib.util.find_spec("transformers")
    if spec is None or spec.origin is None:
        pytest.skip("transformers is not installed (the test extra installs it)")
    path = smollm2_model_path() if request.param == "smollm2" else Path(MICRO_MODEL_PATH)
    if path is None:
        pytest.skip("SmolLM2 is not installed")
    site = str(Path(spec.origin).parent.parent)
    source = f"MODEL = {str(path)!r}\nSITE = {site!r}\n" + PROGRAM
    return json.loads(run_lcp(source)), json.loads(run_ours(source))


CASES = [f"{v} {c}" for v in ("v1", "v2") for c in ("auto", "named", "none", "no_tools", "functions")]


@pytest.mark.parametrize("case", CASES)
def test_prompts_and_replies_are_llama_cpp_pythons(both: tuple[dict[str, Any], dict[str, Any]], case: str) -> None:
    theirs, ours = both
    assert len(ours[case][2]) >= 1 and len(ours[case][2][0]) > 50
    assert ours[case][2] == theirs[case][2], "the prompts completed differ (token ids)"
    assert ours[case][:2] == theirs[case][:2], "the replies differ (greedy)"


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_named_calls(both: tuple[dict[str, Any], dict[str, Any]], version: str) -> None:
    for case in ("named", "functions"):
        choice = both[1][f"{version} {case}"][0][0]
        assert choice["finish_reason"] == "tool_calls"
        call = choice["message"]["tool_calls"][0] if case == "named" else choice["message"]
        function = call["function"] if case == "named" else call["function_call"]
        assert function["name"] == "get_weather" and function["arguments"].lstrip().startswith("{")


def test_streamed_calls(both: tuple[dict[str, Any], dict[str, Any]]) -> None:
    theirs, ours = both
    assert ours["v1 stream"] is theirs["v1 stream"] is True  # "Streaming for v1 is not supported"
    # v2 streams there and here (chunk by chunk: test_lcp_functionary_v2_stream.py)
    assert theirs["v2 stream"] is None and ours["v2 stream"] is None
