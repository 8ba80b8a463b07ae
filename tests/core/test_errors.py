"""Bad input: a clear Python exception naming the problem, never a crash."""

from __future__ import annotations

from pathlib import Path

import pytest

from llama_native import Llama, LlamaGrammar, ModelLoadError


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.gguf"
    with pytest.raises(ModelLoadError, match="not found") as info:
        Llama(str(path))
    assert str(path) in str(info.value)
    assert isinstance(info.value, ValueError)  # as llama-cpp-python raises


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="directory") as info:
        Llama(str(tmp_path))
    assert str(tmp_path) in str(info.value)


def test_not_a_gguf_file(tmp_path: Path) -> None:
    path = tmp_path / "model.gguf"
    path.write_text("this is not a model\n" * 10)
    with pytest.raises(ModelLoadError, match="not a GGUF") as info:
        Llama(str(path))
    assert str(path) in str(info.value)


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.gguf"
    path.write_bytes(b"")
    with pytest.raises(ModelLoadError, match="empty"):
        Llama(str(path))


@pytest.mark.parametrize("fraction", [0.02, 0.5, 0.99])
def test_truncated_gguf(model_path: Path, tmp_path: Path, fraction: float) -> None:
    data = model_path.read_bytes()
    path = tmp_path / "truncated.gguf"
    path.write_bytes(data[: int(len(data) * fraction)])
    with pytest.raises(ModelLoadError) as info:
        Llama(str(path))
    message = str(info.value)
    assert str(path) in message
    assert "failed to load model" in message and len(message) > len(str(path)) + 30


def test_corrupted_header(model_path: Path, tmp_path: Path) -> None:
    data = bytearray(model_path.read_bytes()[: 1 << 20])
    data[8:16] = (2**62).to_bytes(8, "little")  # absurd tensor count
    path = tmp_path / "corrupt.gguf"
    path.write_bytes(bytes(data))
    with pytest.raises(ModelLoadError) as info:
        Llama(str(path))
    assert str(path) in str(info.value)


def test_corrupted_metadata_types(model_path: Path, tmp_path: Path) -> None:
    data = bytearray(model_path.read_bytes())
    # Overwrite the value-type field of the first KV pair (after the 24-byte header
    # and the first key) with an invalid type id.
    key_len = int.from_bytes(data[24:32], "little")
    type_offset = 32 + key_len
    data[type_offset : type_offset + 4] = (999).to_bytes(4, "little")
    path = tmp_path / "badtype.gguf"
    path.write_bytes(bytes(data))
    with pytest.raises(ModelLoadError):
        Llama(str(path))


def test_prompt_longer_than_context(model_path: Path) -> None:
    llm = Llama(str(model_path), n_ctx=256)
    prompt = "word " * 600
    n_tokens = len(llm.tokenize(prompt.encode(), special=True))
    with pytest.raises(ValueError) as info:
        llm(prompt, max_tokens=4)
    message = str(info.value)
    assert str(n_tokens) in message and "256" in message
    # the context still works afterwards
    assert llm("short", max_tokens=2)["object"] == "text_completion"


@pytest.mark.parametrize(
    "gbnf, fragment",
    [
        ('root ::= "unterminated', "unexpected end of input"),
        ('root ::= missing', "undefined rule identifier 'missing'"),
        ('other ::= "x"', "root"),
        ('root ::= root "x"', "left recursion"),
        ("", "empty"),
        ('root ::= [a-', "unexpected end"),
    ],
)
def test_invalid_grammar(llm: Llama, gbnf: str, fragment: str) -> None:
    with pytest.raises(ValueError, match="invalid grammar") as info:
        LlamaGrammar.from_string(gbnf)
    assert fragment in str(info.value)
    with pytest.raises(ValueError, match="invalid grammar"):
        llm("x", grammar=gbnf, max_tokens=2)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"max_tokens": -1}, "max_tokens"),
        ({"temperature": -0.1}, "temperature"),
        ({"temperature": float("nan")}, "temperature"),
        ({"top_p": 1.5}, "top_p"),
        ({"min_p": -0.5}, "min_p"),
        ({"top_k": -3}, "top_k"),
        ({"repeat_penalty": 0}, "repeat_penalty"),
        ({"seed": -5}, "seed"),
        ({"logit_bias": {10**9: 1.0}}, "logit_bias"),
        ({"stop": [3]}, "stop"),
    ],
)
def test_out_of_range_parameters(llm: Llama, kwargs: dict, name: str) -> None:
    with pytest.raises(ValueError, match=name):
        llm("hello", **kwargs)


@pytest.mark.parametrize("kwargs, name", [({"n_ctx": -8}, "n_ctx"), ({"n_batch": 0}, "n_batch"), ({"n_threads": 0}, "n_threads")])
def test_out_of_range_model_parameters(model_path: Path, kwargs: dict, name: str) -> None:
    with pytest.raises(ValueError, match=name):
        Llama(str(model_path), **kwargs)


def test_unknown_keyword_is_a_type_error(model_path: Path, llm: Llama) -> None:
    with pytest.raises(TypeError, match="n_ctxx"):
        Llama(str(model_path), n_ctxx=5)
    with pytest.raises(TypeError, match="max_token"):
        llm("x", max_token=5)


def test_prompt_token_out_of_vocabulary(llm: Llama) -> None:
    with pytest.raises(ValueError, match="outside the vocabulary"):
        llm([1, llm.n_vocab() + 5], max_tokens=1)


def test_closed_model_raises(model_path: Path) -> None:
    llm = Llama(str(model_path), n_ctx=256)
    llm.close()
    with pytest.raises(RuntimeError, match="closed"):
        llm("x", max_tokens=1)


def test_a_cut_reply_error_names_the_limit_that_cut_it() -> None:
    """OutputTruncatedError (what the integrations raise for a cut object or call) says which limit to raise."""
    from llama_native import OutputTruncatedError
    from llama_native.truncation import required_call

    cut = OutputTruncatedError("the Team", max_tokens=10, completion_tokens=10, output='{"names": [","')
    assert str(cut) == ("the reply was cut at max_tokens=10 (10 completion tokens) before the Team was complete: "
                        "raise max_tokens")
    assert isinstance(cut, ValueError) and (cut.max_tokens, cut.completion_tokens) == (10, 10)
    assert cut.output == '{"names": [","'
    named = OutputTruncatedError("the Owner", max_tokens=8, completion_tokens=8, limit_name="max_new_tokens")
    assert str(named).endswith("cut at max_new_tokens=8 (8 completion tokens) before the Owner was complete: "
                               "raise max_new_tokens")
    context = OutputTruncatedError("the Team", max_tokens=256, completion_tokens=37)
    assert str(context) == ("the reply was cut by the end of the context (37 completion tokens) under max_tokens=256 "
                            "before the Team was complete: load the model with a larger context (n_ctx) or shorten "
                            "the prompt")
    unbounded = OutputTruncatedError("the tool call", max_tokens=None, completion_tokens=12)
    assert str(unbounded).startswith("the reply was cut by the end of the context (12 completion tokens) before the "
                                     "tool call was complete")
    assert required_call("required") == "the tool call" and required_call("auto") is None
    assert required_call({"type": "function", "function": {"name": "add"}}) == "the add call"
    assert required_call(None) is None and required_call("none") is None
