"""``/v1/embeddings`` as llama-server answers it: token ids, ``content``, normalised vectors, no silent cut.

Ours and llama-server run the same command line on the same model; the
vectors must agree.  An empty input is a 400; an input longer than the
context is a 400 naming both sizes (the Python API raises likewise) unless
the client asks for ``truncate``.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest

from both_servers import both, llama_server

from llama_native import Llama
from llama_native.constants import LLAMA_POOLING_TYPE_MEAN
from llama_native.testing import synthetic_model_path

ARGS = ["-c", "256", "--embeddings", "--pooling", "mean", "-t", "1"]
LONG = "word " * 400  # over 256 tokens


@pytest.fixture(scope="module")
def urls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(llama-server, ours) on the synthetic model, loaded for mean-pooled embeddings in a 256-token context."""
    with both(llama_server(), ["-m", str(synthetic_model_path()), *ARGS], tmp_path_factory.mktemp("emb")) as pair:
        yield pair


@pytest.fixture(scope="module")
def local() -> Llama:
    return Llama(str(synthetic_model_path()), embedding=True, pooling_type=LLAMA_POOLING_TYPE_MEAN, n_ctx=256)


def _embed(url: str, body: dict) -> httpx.Response:
    return httpx.post(url + "/v1/embeddings", json=body, timeout=60)


def _vectors(r: httpx.Response) -> list[list[float]]:
    assert r.status_code == 200, r.text
    return [d["embedding"] for d in sorted(r.json()["data"], key=lambda d: d["index"])]


def _close(a: list[float], b: list[float]) -> bool:
    return bool(np.allclose(a, b, atol=2e-3))


def test_every_input_shape_gives_the_vectors_llama_server_gives(urls: tuple[str, str]) -> None:
    theirs, ours = urls
    shapes: list[dict] = [
        {"input": "hello world"},
        {"input": ["hello world", "a second text"]},
        {"input": [5, 6, 7, 8]},  # one input as token ids (OpenAI's spec allows it)
        {"input": [[5, 6, 7], [9, 10]]},
        {"input": ["hello world", [5, 6, 7]]},  # mixed, as llama-server takes
        {"input": [{"content": [{"type": "text", "text": "hello world"}]}]},  # an OpenAI content array
        {"content": "hello world"},
    ]
    for body in shapes:
        mine = _vectors(_embed(ours, body))
        if "content" in body:  # llama-server answers its own shape for a top-level content; ours stays OpenAI's
            reference = [item["embedding"][0] for item in _embed(theirs, body).json()]
        else:
            reference = _vectors(_embed(theirs, body))
        assert len(mine) == len(reference) and all(_close(a, b) for a, b in zip(mine, reference)), body
        assert all(math.isclose(float(np.linalg.norm(v)), 1.0, abs_tol=1e-4) for v in mine), body  # L2, as theirs


def test_embd_normalize_and_base64(urls: tuple[str, str], local: Llama) -> None:
    _, ours = urls
    raw = _vectors(_embed(ours, {"input": "hello world", "embd_normalize": -1}))[0]
    assert _close(raw, local.embed("hello world"))  # -1: the model's own vector, as the Python API gives it
    taxicab = _vectors(_embed(ours, {"input": "hello world", "embd_normalize": 1}))[0]
    assert math.isclose(sum(abs(x) for x in taxicab), 1.0, abs_tol=1e-4)
    packed = _embed(ours, {"input": "hello world", "encoding_format": "base64"}).json()["data"][0]["embedding"]
    unit = np.frombuffer(base64.b64decode(packed), dtype=np.float32)
    assert math.isclose(float(np.linalg.norm(unit)), 1.0, abs_tol=1e-4)


def test_an_empty_input_is_a_400_on_both(urls: tuple[str, str]) -> None:
    for url in urls:
        r = _embed(url, {"input": []})
        assert r.status_code == 400 and "empty" in r.text, (url, r.text)
    r = _embed(urls[1], {"input": [[]]})
    assert r.status_code == 400 and "input[0] is empty" in r.json()["error"]["message"], r.text
    same = _vectors(_embed(urls[1], {"input": [{"content": "hello world"}, "hello world"]}))
    assert _close(same[0], same[1])
    r = _embed(urls[1], {"input": "x", "content": "y"})
    assert r.status_code == 400 and "once" in r.json()["error"]["message"], r.text


def test_an_input_over_the_context_is_refused_naming_both_sizes_unless_truncate(urls: tuple[str, str],
                                                                               local: Llama) -> None:  # fmt: skip
    _, ours = urls
    n = len(local.tokenize(LONG.encode(), add_bos=True, special=True))
    for body in ({"input": LONG}, {"input": ["short", LONG]}, {"input": list(range(5, 305))}):
        r = _embed(ours, body)
        assert r.status_code == 400, r.text
        error = r.json()["error"]
        assert error["code"] == "context_length_exceeded" and "256" in error["message"], error
    assert f"input[1] is {n} tokens long" in _embed(ours, {"input": ["short", LONG]}).json()["error"]["message"]
    cut = _embed(ours, {"input": LONG, "truncate": True})
    assert cut.status_code == 200 and cut.json()["usage"]["prompt_tokens"] == 256, cut.text


def test_the_python_api_does_not_cut_silently_either(local: Llama) -> None:
    with pytest.raises(ValueError, match=r"input is \d+ tokens long, more than the 256"):
        local.create_embedding(LONG)
    assert local.create_embedding(LONG, truncate=True)["usage"]["prompt_tokens"] == 256
    by_ids = local.create_embedding([5, 6, 7])["data"][0]["embedding"]
    assert _close(by_ids, local.embed([[5, 6, 7]])[0])
    assert len(local.create_embedding([[5, 6], "text"])["data"]) == 2


def test_the_faults_case_of_token_ids_now_answers(urls: tuple[str, str], tmp_path: Path) -> None:
    """``{"input": [[1, 2]]}``, once refused ("token-id inputs are not supported"), is embedded."""
    assert len(_vectors(_embed(urls[1], {"input": [[1, 2]]}))) == 1
    r = _embed(urls[1], {"input": [[10**9]]})
    assert r.status_code == 400 and "vocabulary" in r.json()["error"]["message"], r.text
