"""The server's timings pass-through, its access log (one line per request, text or JSON) and --log-* flags."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from llama_native.server import ModelEntry, ServerSettings, create_app, parse_settings
from llama_native.server.access_log import JsonFormatter, configure_logging
from llama_native.testing import synthetic_model_path

MESSAGES = [{"role": "user", "content": "hi"}]


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    settings = ServerSettings(models=[ModelEntry("tiny", str(synthetic_model_path()), {"n_ctx": 256, "n_parallel": 2})])
    with TestClient(create_app(settings)) as c:
        yield c


def access_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "llama_native.server.access"]


def test_replies_carry_timings_and_one_access_line_each(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="llama_native"):
        reply = client.post("/v1/chat/completions", json={"messages": MESSAGES, "max_tokens": 4, "temperature": 0})
        assert reply.status_code == 200
        body = reply.json()
        assert body["timings"]["predicted_n"] == body["usage"]["completion_tokens"]
        text = client.post("/v1/completions", json={"prompt": "a b", "max_tokens": 3, "stream": True})
        events = [json.loads(line[6:]) for line in text.text.splitlines() if line.startswith("data: {")]
        assert "timings" in events[-1] and all("timings" not in e for e in events[:-1])
        missing = client.post("/v1/chat/completions", json={"messages": "not a list"})
        assert missing.status_code >= 400
    records = access_lines(caplog)
    assert len(records) == 3, [r.getMessage() for r in records]
    whole, streamed, failed = (getattr(r, "access") for r in records)
    assert whole["route"] == "/v1/chat/completions" and whole["status"] == 200 and whole["model"] == "tiny"
    assert whole["completion_tokens"] == body["usage"]["completion_tokens"]
    for key in ("prompt_tokens", "queue_ms", "ttft_ms", "total_ms", "tokens_per_second"):
        assert key in whole, key
    assert whole["total_ms"] >= whole["ttft_ms"] >= 0
    assert streamed["status"] == 200 and streamed["completion_tokens"] == events[-1]["timings"]["predicted_n"]
    assert streamed["ttft_ms"] <= streamed["total_ms"]
    assert failed["status"] == missing.status_code and "completion_tokens" not in failed
    assert records[0].getMessage().startswith("POST /v1/chat/completions 200 model=tiny")


def test_health_is_debug_and_reports_model_states(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="llama_native"):
        health = client.get("/health").json()
    assert health["model_states"]["tiny"]["state"] == "ready", health
    assert not access_lines(caplog)  # polls stay out of an INFO log
    with caplog.at_level(logging.DEBUG, logger="llama_native"):
        client.get("/health")
    assert [getattr(r, "access")["route"] for r in access_lines(caplog)] == ["/health"]


def test_json_lines_and_flags(capsys: pytest.CaptureFixture[str]) -> None:
    record = logging.makeLogRecord({"msg": "GET /health 200", "levelname": "INFO", "name": "llama_native.server.access",
                                    "access": {"status": 200, "total_ms": 1.5}})  # fmt: skip
    line = json.loads(JsonFormatter().format(record))
    assert line["status"] == 200 and line["message"] == "GET /health 200" and "time" in line
    settings = parse_settings(["--model", "m.gguf", "--log-level", "debug", "--log-format", "json"], env={})
    assert (settings.log_level, settings.log_format) == ("debug", "json")
    assert parse_settings(["--model", "m.gguf"], env={}).log_format == "text"
    with pytest.raises(ValueError, match="--log-format must be one of text, json"):
        configure_logging("info", "xml")
    with pytest.raises(ValueError, match="--log-level"):
        configure_logging("loud", "text")
    handler = configure_logging("info", "json")
    try:
        logging.getLogger("llama_native.server.access").info("x", extra={"access": {"status": 204}})
    finally:
        logging.getLogger("llama_native").removeHandler(handler)
    err: Any = capsys.readouterr().err.strip().splitlines()[-1]
    assert json.loads(err)["status"] == 204


def test_n_choices_sum_their_timings(client: TestClient) -> None:
    body = client.post("/v1/completions", json={"prompt": "a b c", "max_tokens": 3, "n": 3, "seed": 1}).json()
    t, usage = body["timings"], body["usage"]
    assert len(body["choices"]) == 3
    assert t["predicted_n"] == usage["completion_tokens"]
    assert t["prompt_n"] + t["cache_n"] == usage["prompt_tokens"]
