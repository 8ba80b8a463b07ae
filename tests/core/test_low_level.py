"""``llama_native.llama_cpp``: llama-cpp-python's low-level loop, ported by changing the import.

A greedy generation written against the ctypes API (model and context
params, tokenize, ``llama_batch_get_one``/``llama_batch_init``, decode, a
sampler chain, KV memory) gives the tokens the high-level API gives.
"""

from __future__ import annotations

import ctypes
from pathlib import Path

import numpy as np
import pytest

import llama_native.llama_cpp as llama_cpp
from llama_native import Llama

PROMPT = b"The list of cities: Paris, London,"


@pytest.fixture()
def loaded(model_path: Path):  # type: ignore[no-untyped-def]
    llama_cpp.llama_backend_init()
    model = llama_cpp.llama_model_load_from_file(str(model_path).encode(), llama_cpp.llama_model_default_params())
    assert model
    cparams = llama_cpp.llama_context_default_params()
    cparams.n_ctx, cparams.n_batch, cparams.n_threads = 256, 256, 2
    ctx = llama_cpp.llama_init_from_model(model, cparams)
    assert ctx
    yield model, ctx
    llama_cpp.llama_free(ctx)
    llama_cpp.llama_model_free(model)


def _tokenize(vocab: int, text: bytes) -> list[int]:
    buf = (llama_cpp.llama_token * (len(text) + 8))()
    n = llama_cpp.llama_tokenize(vocab, text, len(text), buf, len(buf), True, False)
    assert n > 0
    return list(buf[:n])


def test_a_low_level_greedy_loop_matches_the_high_level_api(loaded, model_path: Path) -> None:  # type: ignore[no-untyped-def]
    model, ctx = loaded
    vocab = llama_cpp.llama_model_get_vocab(model)
    n_vocab = llama_cpp.llama_vocab_n_tokens(vocab)
    prompt = _tokenize(vocab, PROMPT)
    ids = (llama_cpp.llama_token * len(prompt))(*prompt)
    assert llama_cpp.llama_decode(ctx, llama_cpp.llama_batch_get_one(ids, len(prompt))) == 0
    first_logits = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(ctx, -1), shape=(n_vocab,)).copy()

    chain = llama_cpp.llama_sampler_chain_init(llama_cpp.llama_sampler_chain_default_params())
    llama_cpp.llama_sampler_chain_add(chain, llama_cpp.llama_sampler_init_greedy())
    out: list[int] = []
    for _ in range(8):
        token = llama_cpp.llama_sampler_sample(chain, ctx, -1)
        if llama_cpp.llama_vocab_is_eog(vocab, token):
            break
        out.append(token)
        one = (llama_cpp.llama_token * 1)(token)
        assert llama_cpp.llama_decode(ctx, llama_cpp.llama_batch_get_one(one, 1)) == 0
    llama_cpp.llama_sampler_free(chain)

    memory = llama_cpp.llama_get_memory(ctx)
    assert llama_cpp.llama_memory_seq_pos_max(memory, 0) == len(prompt) + len(out) - 1
    llama_cpp.llama_memory_clear(memory, True)
    assert llama_cpp.llama_memory_seq_pos_max(memory, 0) == -1

    llm = Llama(str(model_path), n_ctx=256)
    high = llm.create_completion(prompt, max_tokens=8, temperature=0, logprobs=0)
    pieces = []
    for t in out:
        buf = ctypes.create_string_buffer(64)
        n = llama_cpp.llama_token_to_piece(vocab, t, buf, 64, 0, False)
        pieces.append(buf.raw[:n].decode("utf-8", "replace"))
    assert pieces == high["choices"][0]["logprobs"]["tokens"]
    np.testing.assert_allclose(first_logits, llm.logits(prompt)[-1], atol=1e-3)


def test_a_batch_of_two_sequences_and_their_kv_memory(loaded) -> None:  # type: ignore[no-untyped-def]
    model, ctx = loaded
    vocab = llama_cpp.llama_model_get_vocab(model)
    a, b = _tokenize(vocab, b"hello world"), _tokenize(vocab, b"Paris London")
    batch = llama_cpp.llama_batch_init(64, 0, 2)
    try:
        for seq, tokens in enumerate((a, b)):
            for pos, token in enumerate(tokens):
                i = batch.n_tokens
                batch.token[i], batch.pos[i], batch.n_seq_id[i] = token, pos, 1
                batch.seq_id[i][0] = seq
                batch.logits[i] = pos == len(tokens) - 1
                batch.n_tokens += 1
        cparams = llama_cpp.llama_context_default_params()
        cparams.n_ctx, cparams.n_seq_max = 256, 2
        two = llama_cpp.llama_init_from_model(model, cparams)
        assert llama_cpp.llama_decode(two, batch) == 0
        memory = llama_cpp.llama_get_memory(two)
        assert [llama_cpp.llama_memory_seq_pos_max(memory, s) for s in (0, 1)] == [len(a) - 1, len(b) - 1]
        assert llama_cpp.llama_memory_seq_rm(memory, 1, -1, -1)
        assert llama_cpp.llama_memory_seq_pos_max(memory, 1) == -1
        llama_cpp.llama_free(two)
    finally:
        llama_cpp.llama_batch_free(batch)


def test_structs_match_the_compiled_library() -> None:
    from llama_native import _native

    for name, size in _native.struct_sizes().items():
        assert ctypes.sizeof(getattr(llama_cpp, name)) == size, name
