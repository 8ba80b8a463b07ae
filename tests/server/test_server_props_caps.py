"""``GET /props``'s ``chat_template_caps`` as llama-server fills it, on the same model and command line."""

from __future__ import annotations

from pathlib import Path

import httpx

from both_servers import both, llama_server

from llama_native.testing import real_tokenizer_model_path


def test_chat_template_caps_match_llama_server(tmp_path: Path) -> None:
    model = str(real_tokenizer_model_path("llama-bpe"))
    with both(llama_server(), ["-m", model, "-c", "256", "-np", "1", "--jinja"], tmp_path) as (theirs, ours):
        a, b = (httpx.get(u + "/props", timeout=60).json()["chat_template_caps"] for u in (theirs, ours))
    assert a and b == a, (a, b)
