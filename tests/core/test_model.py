"""Model loading, metadata and tokenizer, on every tokenizer kind."""

from __future__ import annotations

import pytest

from llama_native import Llama


def test_metadata_and_sizes(any_model_path) -> None:
    llm = Llama(str(any_model_path), n_ctx=512)
    assert llm.metadata["general.architecture"]
    assert llm.n_vocab() > 100
    assert llm.n_ctx() == 512
    assert Llama(str(any_model_path), n_ctx=100).n_ctx() >= 100  # llama.cpp pads to its granularity
    assert llm.n_ctx_train() > 0
    assert llm.n_embd() > 0
    assert llm.token_eos() >= 0 or llm.eog_tokens()
    assert all(0 <= t < llm.n_vocab() for t in llm.eog_tokens())
    assert all(llm.token_is_eog(t) for t in llm.eog_tokens())


def test_chat_template_is_exposed(any_model_path) -> None:
    llm = Llama(str(any_model_path), vocab_only=True)
    assert llm.chat_template is None or "{%" in llm.chat_template or "{{" in llm.chat_template
    if "env" not in str(any_model_path) and "test-models" in str(any_model_path):
        assert llm.chat_template  # every test model carries a real or ChatML template


@pytest.mark.parametrize("text", ["Hello world", "JSON: {\"a\": [1, 2.5, null]}", "naïve café 日本語 🙂"])
def test_tokenize_roundtrip(any_model_path, text: str) -> None:
    llm = Llama(str(any_model_path), vocab_only=True)
    tokens = llm.tokenize(text.encode(), add_bos=False)
    assert tokens and all(0 <= t < llm.n_vocab() for t in tokens)
    decoded = llm.detokenize(tokens)
    # SentencePiece vocabularies prefix a space; everything else is byte-exact.
    assert decoded.lstrip(b" ") == text.encode()
    assert b"".join(llm.token_to_piece(t) for t in tokens) == decoded


def test_bos_is_added_only_when_asked(any_model_path) -> None:
    llm = Llama(str(any_model_path), vocab_only=True)
    with_bos = llm.tokenize(b"abc", add_bos=True)
    without = llm.tokenize(b"abc", add_bos=False)
    if llm.token_bos() >= 0 and llm._model.add_bos:
        assert with_bos[0] == llm.token_bos() and with_bos[1:] == without
    else:
        assert with_bos == without


def test_special_tokens_parse_only_when_asked(any_model_path) -> None:
    llm = Llama(str(any_model_path), vocab_only=True)
    eos = llm.token_eos()
    if eos < 0:
        pytest.skip("this model has no EOS token to spell")
    eos_text = llm.token_to_piece(eos, special=True)
    if not eos_text:
        pytest.skip("this model's EOS token has no text form")
    assert llm.tokenize(eos_text, add_bos=False, special=True) == [eos]
    assert llm.tokenize(eos_text, add_bos=False, special=False) != [eos]


def test_out_of_range_token_ids_raise(any_model_path) -> None:
    llm = Llama(str(any_model_path), vocab_only=True)
    with pytest.raises(ValueError, match="outside the vocabulary"):
        llm.detokenize([llm.n_vocab()])
    with pytest.raises(ValueError, match="outside the vocabulary"):
        llm.token_to_piece(-1)


def test_vocab_only_model_cannot_generate(any_model_path) -> None:
    llm = Llama(str(any_model_path), vocab_only=True)
    with pytest.raises(RuntimeError, match="vocab_only"):
        llm("hi", max_tokens=1)
