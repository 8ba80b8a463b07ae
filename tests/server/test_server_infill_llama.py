"""``/infill`` with ``input_extra`` and ``prompt`` builds llama-server's token sequence.

Ours and llama-server run the same command line on random-weight models with
real FIM vocabularies: StarCoder's (prefix/suffix/middle, no repository or
file-separator token: chunks are introduced by llama-server's snippet line)
and Refact's (a repository token too).  The slot context is over llama-server's
n_batch of 2048, so the extra chunks are kept.  On random weights the greedy
text depends on every prompt token, so equal text and equal prompt sizes mean
the same sequence.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from both_servers import both, llama_server

from llama_native.testing import real_tokenizer_model_path

ARGS = ["-c", "2304", "-np", "1", "-t", "1"]
EXTRA = [{"filename": "util.py", "text": "def helper(x):\n    return x * 2\n"}, {"text": "CONST = 3\n"}]
BODIES = {
    "plain": {"input_prefix": "def f(a", "input_suffix": "):\n    pass\n"},
    "extra": {"input_prefix": "def f(a", "input_suffix": "):\n    pass\n", "input_extra": EXTRA},
    "extra+prompt": {"input_prefix": "x = ", "input_suffix": "\n", "input_extra": EXTRA, "prompt": "helper("},
}


@pytest.fixture(scope="module", params=["starcoder", "refact"])
def urls(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    model = str(real_tokenizer_model_path(request.param))
    with both(llama_server(), ["-m", model, *ARGS], tmp_path_factory.mktemp("infill")) as pair:
        yield pair


@pytest.mark.parametrize("name", list(BODIES))
def test_infill_prompt_and_text_match_llama_server(urls: tuple[str, str], name: str) -> None:
    body = {**BODIES[name], "n_predict": 6, "temperature": 0, "samplers": ["temperature"]}
    theirs, ours = (httpx.post(u + "/infill", json=body, timeout=120) for u in urls)
    assert theirs.status_code == ours.status_code == 200, (theirs.text, ours.text)
    a, b = theirs.json(), ours.json()
    assert b["tokens_evaluated"] == a["tokens_evaluated"], (a["tokens_evaluated"], b["tokens_evaluated"])
    assert b["content"] == a["content"], (a["content"], b["content"])
    if name != "plain":  # the extra chunks are in the prompt
        plain = httpx.post(urls[1] + "/infill", json={**BODIES["plain"], "n_predict": 1}, timeout=120).json()
        assert b["tokens_evaluated"] > plain["tokens_evaluated"] + 10
