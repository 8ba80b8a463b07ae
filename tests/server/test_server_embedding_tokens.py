"""llama-server's ``/embedding`` on a model without pooling: every token's vector, as llama-server gives them.

Ours and llama-server run the same command line (``--embeddings``, the
synthetic chat model, whose GGUF names no pooling); the per-token vectors
(unnormalized) must agree in number and value.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import numpy as np
import pytest

from both_servers import both, llama_server

from llama_native.testing import synthetic_model_path

ARGS = ["-c", "256", "--embeddings", "-t", "1"]


@pytest.fixture(scope="module")
def urls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(llama-server, ours) on the synthetic model loaded for embeddings, pooling as its GGUF says (none)."""
    with both(llama_server(), ["-m", str(synthetic_model_path()), *ARGS], tmp_path_factory.mktemp("embt")) as pair:
        yield pair


def _rows(url: str, body: dict) -> list[dict]:
    r = httpx.post(url + "/embedding", json=body, timeout=60)
    assert r.status_code == 200, r.text
    return r.json()


@pytest.mark.parametrize(
    "body",
    [{"content": "hello world"}, {"content": ["a", "the sea and the sky"]}, {"content": [5, 6, 7, 8]}],
    ids=["text", "texts", "token-ids"],
)
def test_per_token_vectors_match_llama_server(urls: tuple[str, str], body: dict) -> None:
    theirs, ours = (_rows(url, body) for url in urls)
    assert [item["index"] for item in ours] == [item["index"] for item in theirs]
    for a, b in zip(theirs, ours, strict=True):
        assert len(b["embedding"]) == len(a["embedding"]) > 1, (len(a["embedding"]), len(b["embedding"]))
        assert np.allclose(np.array(a["embedding"]), np.array(b["embedding"]), atol=2e-3)
    norms = [float(np.linalg.norm(row)) for row in ours[0]["embedding"]]
    assert any(abs(n - 1.0) > 1e-2 for n in norms)  # unnormalized, as llama-server
