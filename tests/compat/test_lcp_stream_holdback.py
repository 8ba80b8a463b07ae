"""Streamed chunks side by side with llama-cpp-python 0.3.36 where a possible stop string is held back.

llama-cpp-python holds back a token whose text could begin a stop string and,
once the text turns out not to be one, sends each held token as its own chunk
(and, when the stop string starts right where the held text starts, one empty
chunk).  The same program runs under both packages (``lcp_venv.py``) on
SmolLM2 and the micro model, greedy; the stops are cut from the reply itself,
so each one is held back and then released or completed.
"""

from __future__ import annotations


import pytest
from lcp_venv import run_both

PROGRAM = """
import json
from llama_cpp import Llama
llm = Llama(MODEL, n_ctx=256, verbose=False)
PROMPT = "Once upon a time"
def stream(stop):
    chunks = list(llm.create_completion(PROMPT, max_tokens=24, temperature=0, stop=stop, stream=True))
    return [c["choices"][0]["text"] for c in chunks], chunks[-1]["choices"][0]["finish_reason"]
pieces, _ = stream([])
text = "".join(pieces)
out = {"plain": pieces}
i = next((k for k in range(3, len(pieces) - 2) if len(pieces[k]) >= 2), 3)
at = len("".join(pieces[:i]))
# a token's text plus what never follows: held back, then released
out["released"] = stream([pieces[i] + "\\u2603"])
# the start of a later token, then the rest of it and the next: held back, then the stop
out["completed"] = stream([pieces[i] + pieces[i + 1]]) if text.find(pieces[i] + pieces[i + 1]) == at else None
# a stop that ends inside a token (the token that completes it is cut)
out["inside"] = stream([text[at + 1:at + 3]]) if text.find(text[at + 1:at + 3]) == at + 1 else None
print(json.dumps(out))
"""


@pytest.fixture(scope="module", params=["smollm2", "micro"])
def both(request: pytest.FixtureRequest) -> tuple[dict, dict]:
    return run_both(request.param, PROGRAM)


def test_plain_stream_is_one_chunk_per_token(both: tuple[dict, dict]) -> None:
    theirs, ours = both
    assert ours["plain"] == theirs["plain"]
    assert len(theirs["plain"]) > 5


@pytest.mark.parametrize("case", ["released", "completed", "inside"])
def test_held_back_text_streams_as_there(both: tuple[dict, dict], case: str) -> None:
    theirs, ours = both
    assert theirs[case] is not None, "the reply offers no such stop"
    assert ours[case] == theirs[case]
