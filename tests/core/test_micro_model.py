"""The embedded micro model: shipped in the package, the same network as in PyTorch, and able to do its jobs.

The logits check compares llama.cpp with the PyTorch logits that
``training/export_micro_model.py`` saved when it exported the model
(``tests/data/micro_reference_logits.npz``), so the suite needs no PyTorch.
The semantic checks run on ``$LLAMA_NATIVE_TEST_MODEL`` when set, so a real
model must pass them too.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

import llama_native
from llama_native import MICRO_MODEL_PATH, Llama, default_model_path
from llama_native.chat.templates import Jinja2ChatFormatter

from helpers import ENV_MODEL, REPO

sys.path.insert(0, str(REPO / "training"))
import micro_data  # noqa: E402

MODEL = ENV_MODEL or MICRO_MODEL_PATH
MAGIC_TOOL = {"type": "function", "function": {
    "name": "magic_function", "description": "Apply a magic function to an input.",
    "parameters": {"properties": {"input": {"exclusiveMaximum": 1000, "exclusiveMinimum": -1000, "type": "integer"}},
                   "required": ["input"], "type": "object"}}}
WEATHER_TOOL = {"type": "function", "function": {
    "name": "get_weather", "description": "Get the weather at a location.",
    "parameters": {"properties": {"location": {"type": "string"}}, "required": ["location"], "type": "object"}}}


@pytest.fixture(scope="module")
def micro() -> Llama:
    return Llama(str(MICRO_MODEL_PATH), n_ctx=1024, seed=1)


@pytest.fixture(scope="module")
def llm() -> Llama:
    return Llama(str(MODEL), n_ctx=2048, seed=1)


def test_the_model_ships_inside_the_installed_package(micro: Llama) -> None:
    assert MICRO_MODEL_PATH.is_file()
    assert Path(llama_native.__file__).resolve().parent in MICRO_MODEL_PATH.parents
    assert MICRO_MODEL_PATH.stat().st_size < 12 * 2**20
    assert (MICRO_MODEL_PATH.parent / "MODEL_CARD.md").is_file()
    meta = micro.metadata
    assert meta["general.name"] == "llama-native-micro" and meta["general.architecture"] == "llama"
    assert default_model_path(embedded=True) == MICRO_MODEL_PATH


def test_the_template_in_the_gguf_is_the_one_it_was_trained_with(micro: Llama) -> None:
    assert micro.metadata["tokenizer.chat_template"] == (REPO / "training" / "chat_template.jinja").read_text(encoding="utf-8")


def test_default_model_path_follows_the_environment_variable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LLAMA_NATIVE_MODEL_PATH", str(MICRO_MODEL_PATH))
    assert default_model_path() == MICRO_MODEL_PATH
    monkeypatch.setenv("LLAMA_NATIVE_MODEL_PATH", str(tmp_path / "missing.gguf"))
    with pytest.raises(FileNotFoundError, match="LLAMA_NATIVE_MODEL_PATH"):
        default_model_path()
    assert default_model_path(embedded=True) == MICRO_MODEL_PATH


def test_llama_cpp_logits_equal_the_pytorch_reference(micro: Llama) -> None:
    reference = np.load(REPO / "tests" / "data" / "micro_reference_logits.npz")
    tokens = [int(t) for t in reference["tokens"]]
    ours = micro.logits(tokens)
    assert ours.shape == reference["logits"].shape
    assert float(np.abs(ours - reference["logits"]).max()) < float(reference["tolerance"])
    assert (ours.argmax(-1) == reference["logits"].argmax(-1)).all()


def test_logits_rows_are_the_next_token_scores_generation_uses(micro: Llama) -> None:
    prompt = micro.tokenize(b"<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n", add_bos=False, special=True)
    greedy = micro.create_completion(prompt, max_tokens=1, temperature=0)
    first = micro.tokenize(greedy["choices"][0]["text"].encode(), add_bos=False)[0]
    assert int(micro.logits(prompt)[-1].argmax()) == first


def test_unicode_round_trips_through_the_byte_level_vocabulary(micro: Llama) -> None:
    for text in ["你好啊集团", "こんにちは株式会社 and Zoë", "Ελένη, 34 — São Paulo", "tab\tnewline\n{}"]:
        assert micro.detokenize(micro.tokenize(text.encode(), add_bos=False)).decode() == text


def test_training_data_is_deterministic_and_rendered_as_the_runtime_renders(micro: Llama) -> None:
    first = micro_data.examples(5, 60)
    assert [(e.messages, e.reply) for e in first] == [(e.messages, e.reply) for e in micro_data.examples(5, 60)]
    formatter = Jinja2ChatFormatter(micro.metadata["tokenizer.chat_template"], eos_token="<|im_end|>", bos_token="")
    tool_example = next(e for e in first if e.tools)
    prompt, reply = micro_data.render(tool_example, formatter)
    assert "Tools:\n- " in prompt and reply.startswith("<tool_call>") and reply.endswith("</tool_call><|im_end|>")
    assert json.loads(reply[len("<tool_call>"):-len("</tool_call><|im_end|>")])["name"] in {
        t["function"]["name"] for t in tool_example.tools}


# ----------------------------------------------------------- semantic checks (embedded or real model)

def _schema(**props: str) -> dict:
    return {"type": "json_schema", "json_schema": {"name": "out", "schema": {
        "type": "object", "properties": {k: {"type": v} for k, v in props.items()}, "required": list(props)}}}


def test_extracts_the_fields_a_schema_names(llm: Llama) -> None:
    out = llm.create_chat_completion([{"role": "user", "content": "Jason is 30 years old."}],
                                     response_format=_schema(name="string", age="integer"), temperature=0)
    assert json.loads(out["choices"][0]["message"]["content"]) == {"name": "Jason", "age": 30}
    out = llm.create_chat_completion([{"role": "user", "content": "Tom Becker lives in Berlin. Tom is a pilot."}],
                                     response_format=_schema(name="string", city="string", job="string"), temperature=0)
    assert json.loads(out["choices"][0]["message"]["content"]) == {"name": "Tom Becker", "city": "Berlin", "job": "pilot"}


def test_calls_the_right_tool_with_the_arguments_the_request_names(llm: Llama) -> None:
    out = llm.create_chat_completion(
        [{"role": "user", "content": "What is the value of magic_function(3)? Use the tool."}],
        tools=[WEATHER_TOOL, MAGIC_TOOL], temperature=0)
    calls = out["choices"][0]["message"]["tool_calls"]
    assert [(c["function"]["name"], json.loads(c["function"]["arguments"])) for c in calls] == [("magic_function", {"input": 3})]
    out = llm.create_chat_completion([{"role": "user", "content": "What is the weather in San Francisco, CA?"}],
                                     tools=[MAGIC_TOOL, WEATHER_TOOL], temperature=0)
    call = out["choices"][0]["message"]["tool_calls"][0]["function"]
    assert call["name"] == "get_weather" and json.loads(call["arguments"]) == {"location": "San Francisco, CA"}


def test_a_greeting_gets_a_short_plain_reply_even_with_tools_offered(llm: Llama) -> None:
    out = llm.create_chat_completion([{"role": "user", "content": "Hello"}], tools=[MAGIC_TOOL], temperature=0,
                                     max_tokens=60)
    choice = out["choices"][0]
    assert choice["finish_reason"] == "stop" and not choice["message"].get("tool_calls")
    assert 0 < len(choice["message"]["content"]) < 200


# ------------------------------------------------------------------ the demo command
# run outside the source tree, so `-m llama_native` finds the installed, compiled package
RUN_DIR = tempfile.gettempdir()

def _demo(*args: str) -> subprocess.CompletedProcess:
    model = ["--model", str(ENV_MODEL)] if ENV_MODEL else []
    return subprocess.run([sys.executable, "-m", "llama_native", "demo", *model, *args], capture_output=True,
                          text=True, timeout=300, cwd=RUN_DIR)


def test_demo_streams_tokens_and_prints_the_parsed_nested_object() -> None:
    done = _demo()
    assert done.returncode == 0, done.stderr
    tokens = done.stdout.split("tokens: ", 1)[1].split("\n\nparsed: ", 1)[0]
    parsed = done.stdout.split("parsed: ", 1)[1]
    assert json.loads(tokens)["address"]["city"] == "Porto"
    assert parsed.startswith("Person(name='Ana Costa', age=41, address=Address(city='Porto', country='Portugal'))")


def test_demo_help_and_an_explicit_model() -> None:
    helped = subprocess.run([sys.executable, "-m", "llama_native", "demo", "--help"], capture_output=True, text=True,
                            cwd=RUN_DIR)
    assert helped.returncode == 0 and "--model" in helped.stdout and "--text" in helped.stdout
    done = subprocess.run([sys.executable, "-m", "llama_native", "demo", "--model", str(MODEL), "--text",
                           "Tom Becker is 27 years old. Tom lives in Berlin, Germany."],
                          capture_output=True, text=True, timeout=300, cwd=RUN_DIR)
    assert done.returncode == 0, done.stderr
    assert "parsed: Person(name='Tom Becker', age=27" in done.stdout
    missing = subprocess.run([sys.executable, "-m", "llama_native", "demo", "--model", "/nonexistent.gguf"],
                             capture_output=True, text=True, cwd=RUN_DIR)
    assert missing.returncode != 0 and "nonexistent.gguf" in missing.stderr
