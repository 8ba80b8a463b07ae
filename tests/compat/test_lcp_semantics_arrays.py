"""``scores`` under ``logits_all``, per-token embeddings of a model without pooling, and the ``flash_attn`` default.

Side by side with llama-cpp-python 0.3.36 (its venv, as a subprocess:
``lcp_venv.py``) on SmolLM2 and the micro model.  The same program runs
under both packages and saves its arrays as ``.npy`` files: ``scores`` is an
``(n_ctx, n_vocab)`` float32 array whose first ``n_tokens`` rows agree; a
model without pooling embeds a text as one vector per token (and with
``pooling_type=LLAMA_POOLING_TYPE_MEAN`` as one vector).  Both run with
flash attention off, llama-cpp-python's default and now llama-native's.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from lcp_venv import run_lcp, run_ours

from llama_native import MICRO_MODEL_PATH, Llama
from llama_native.constants import LLAMA_POOLING_TYPE_MEAN

PROGRAM = """
import json
import numpy as np
from llama_cpp import Llama, LLAMA_POOLING_TYPE_MEAN
out = {}
llm = Llama(MODEL, n_ctx=48, n_batch=48, logits_all=True, verbose=False)
ids = llm.tokenize(b"The capital of France is")
llm.eval(ids[:3])
llm.eval(ids[3:])
n = llm.n_tokens
out["scores"] = [list(llm.scores.shape), str(llm.scores.dtype), n]
np.save(OUT + "scores.npy", llm.scores[:n])
emb = Llama(MODEL, embedding=True, n_ctx=64, verbose=False)
rows = emb.embed("Hello, world!")
out["per_token"] = list(np.asarray(rows).shape)
np.save(OUT + "per_token.npy", np.asarray(rows, dtype=np.float32))
np.save(OUT + "per_token_normalized.npy", np.asarray(emb.embed("Paris is nice", normalize=True), dtype=np.float32))
made = emb.create_embedding("Hello, world!")
out["create_embedding"] = [len(made["data"]), np.asarray(made["data"][0]["embedding"]).shape[0], made["usage"]]
pooled = Llama(MODEL, embedding=True, n_ctx=64, verbose=False, pooling_type=LLAMA_POOLING_TYPE_MEAN)
out["pooled"] = list(np.asarray(pooled.embed("Hello, world!")).shape)
np.save(OUT + "pooled.npy", np.asarray(pooled.embed("Hello, world!"), dtype=np.float32))
print(json.dumps(out))
"""


@pytest.fixture(scope="module", params=["smollm2", "micro"])
def both(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, dict, Path, Path]:
    from llama_native.testing import smollm2_model_path

    path = smollm2_model_path() if request.param == "smollm2" else Path(MICRO_MODEL_PATH)
    if path is None:
        pytest.skip("SmolLM2 is not installed")
    root = tmp_path_factory.mktemp(request.param)
    theirs, ours = root / "lcp-", root / "ours-"
    prefix = f"MODEL = {str(path)!r}\n"
    lcp = json.loads(run_lcp(prefix + f"OUT = {str(theirs)!r}\n" + PROGRAM))
    native = json.loads(run_ours(prefix + f"OUT = {str(ours)!r}\n" + PROGRAM))
    return lcp, native, theirs, ours


def _arrays(theirs: Path, ours: Path, name: str) -> tuple[np.ndarray, np.ndarray]:
    return np.load(f"{theirs}{name}.npy"), np.load(f"{ours}{name}.npy")


def test_scores_are_an_n_ctx_by_n_vocab_float32_array(both: tuple[dict, dict, Path, Path]) -> None:
    lcp, native, theirs, ours = both
    assert native["scores"] == lcp["scores"]  # [[48, n_vocab], "float32", n_tokens]
    assert lcp["scores"][0][0] == 48
    a, b = _arrays(theirs, ours, "scores")
    assert a.shape == b.shape and a.shape[0] == lcp["scores"][2]
    np.testing.assert_allclose(b, a, atol=2e-3, rtol=0)
    assert (np.argmax(a, axis=1) == np.argmax(b, axis=1)).all()


def test_a_model_without_pooling_embeds_one_vector_per_token(both: tuple[dict, dict, Path, Path]) -> None:
    lcp, native, theirs, ours = both
    assert native["per_token"] == lcp["per_token"]  # [tokens, n_embd]
    assert native["create_embedding"] == lcp["create_embedding"]  # one item of per-token rows, same usage
    for name in ("per_token", "per_token_normalized"):
        a, b = _arrays(theirs, ours, name)
        assert a.shape == b.shape and a.ndim == 2 and a.shape[0] > 1, name
        np.testing.assert_allclose(b, a, atol=1e-4, rtol=0, err_msg=name)


def test_pooling_type_asks_for_one_pooled_vector(both: tuple[dict, dict, Path, Path]) -> None:
    lcp, native, theirs, ours = both
    assert native["pooled"] == lcp["pooled"] and len(lcp["pooled"]) == 1
    a, b = _arrays(theirs, ours, "pooled")
    np.testing.assert_allclose(b, a, atol=1e-4, rtol=0)


def test_per_token_false_keeps_one_vector_per_input_and_per_token_true_needs_no_pooling() -> None:
    llm = Llama(MICRO_MODEL_PATH, embedding=True, n_ctx=64)
    with pytest.warns(UserWarning, match="one vector per token"):
        rows = llm.embed(["Hello", "a longer text"])
    assert [len(r) for r in rows] == [len(llm.tokenize(b"Hello")), len(llm.tokenize(b"a longer text"))]
    with pytest.warns(UserWarning, match="last token's hidden state"):
        last = llm.embed(["Hello", "a longer text"], per_token=False)
    assert [len(v) for v in last] == [llm.n_embd()] * 2
    np.testing.assert_allclose(last[1], rows[1][-1], atol=1e-5)  # the last token's row
    with pytest.warns(UserWarning):
        one = llm.create_embedding(["Hello", "world"], per_token=False)
    assert [len(d["embedding"]) for d in one["data"]] == [llm.n_embd()] * 2
    pooled = Llama(MICRO_MODEL_PATH, embedding=True, n_ctx=64, pooling_type=LLAMA_POOLING_TYPE_MEAN)
    with pytest.raises(ValueError, match="per_token=True needs a context without pooling"):
        pooled.embed("Hello", per_token=True)


def test_flash_attn_defaults_off_and_none_is_llama_cpps_auto() -> None:
    assert Llama(MICRO_MODEL_PATH, n_ctx=32, vocab_only=False).context_params["flash_attn"] is False
    assert Llama(MICRO_MODEL_PATH, n_ctx=32, flash_attn=None).context_params["flash_attn"] is None
    # several sequences: auto unless told (replies then do not depend on the batch)
    assert Llama(MICRO_MODEL_PATH, n_ctx=32, n_parallel=2).context_params["flash_attn"] is None
    assert Llama(MICRO_MODEL_PATH, n_ctx=32, n_parallel=2, flash_attn=False).context_params["flash_attn"] is False


def test_serve_keeps_llama_servers_flash_attn_auto() -> None:
    import asyncio

    from llama_native.server.registry import ModelRegistry
    from llama_native.server.settings import ModelEntry

    registry = ModelRegistry([ModelEntry("m", MICRO_MODEL_PATH, {"n_ctx": 32}),
                              ModelEntry("off", MICRO_MODEL_PATH, {"n_ctx": 32, "flash_attn": False})])  # fmt: skip
    registry.load_all()
    _, auto = asyncio.run(registry.chat_model("m"))
    _, off = asyncio.run(registry.chat_model("off"))
    assert auto.context_params["flash_attn"] is None  # -fa auto, as llama-server
    assert off.context_params["flash_attn"] is False  # a model's own choice stays
