"""RemoteLlama over llama-server: the server's timings in the reply, counted as the in-process loop counts."""

from __future__ import annotations

from typing import Any

from llama_native.remote import RemoteLlama


def test_llama_server_timings_come_through(llama_server: Any) -> None:
    with RemoteLlama(llama_server.base_url, timeout=120) as remote:
        for stream in (False, True):
            out: Any = remote.create_completion("The capital of France is", max_tokens=6, temperature=0, stream=stream)
            last = list(out)[-1] if stream else out
            t, usage = last["timings"], last["usage"]
            assert t["predicted_n"] == usage["completion_tokens"]  # without the end token llama-server counts
            assert t["prompt_n"] + t["cache_n"] == usage["prompt_tokens"]
            assert t["predicted_ms"] > 0 and t["predicted_per_second"] > 0
        reply: Any = remote.create_chat_completion([{"role": "user", "content": "Hi"}], max_tokens=4, temperature=0)
        assert reply["timings"]["predicted_n"] == reply["usage"]["completion_tokens"]
