"""llama-server's command lines run on ``llama-native serve`` by changing the program name.

The same argument lists start llama.cpp's own llama-server (built from the
pinned source) and ours; both must start and answer the same requests.  A
flag neither knows, or one of llama-server's that we do not support, stops
ours at start with a one-line message naming it (never a traceback).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
import pytest

from both_servers import OURS, both, llama_server
from images import vision_paths

from llama_native.constants import LLAMA_POOLING_TYPE_MEAN, LLAMA_POOLING_TYPE_RANK
from llama_native.server.settings import parse_settings
from llama_native.testing import synthetic_model_path

HELLO = [{"role": "user", "content": "hello"}]


@pytest.fixture(scope="module")
def llama_server_binary() -> list[str]:
    return llama_server()


@pytest.fixture(scope="module")
def model() -> str:
    return str(synthetic_model_path())


def test_a_chat_command_line_runs_onboth(llama_server_binary: list[str], model: str, tmp_path: Path) -> None:
    args = ["-m", model, "-c", "512", "-np", "2", "-t", "2", "-ngl", "0", "--jinja", "-n", "6", "--temp", "0",
            "--host", "127.0.0.1", "--timeout", "60", "-fa", "off", "--cont-batching", "--metrics", "--alias", "tiny",
            "--no-webui", "--chat-template", "chatml"]  # fmt: skip
    with both(llama_server_binary, args, tmp_path) as urls:
        for url in urls:
            models = httpx.get(url + "/v1/models", timeout=30).json()
            assert [m["id"] for m in models["data"]] == ["tiny"], (url, models)
            r = httpx.post(url + "/v1/chat/completions", json={"messages": HELLO}, timeout=60)  # no max_tokens: -n caps
            assert r.status_code == 200, (url, r.text)
            assert r.json()["usage"]["completion_tokens"] <= 6, (url, r.json()["usage"])
            slots = httpx.get(url + "/slots", timeout=30).json()
            assert [(s["id"], s["n_ctx"]) for s in slots] == [(0, 256), (1, 256)], (url, slots)  # -c is the total
            assert httpx.get(url + "/metrics", timeout=30).status_code == 200


def test_an_embedding_command_line_runs_onboth(llama_server_binary: list[str], model: str, tmp_path: Path) -> None:
    args = ["-m", model, "-c", "256", "--embeddings", "--pooling", "mean", "-t", "1"]
    with both(llama_server_binary, args, tmp_path) as urls:
        for url in urls:
            r = httpx.post(url + "/v1/embeddings", json={"input": ["hello", [5, 6, 7]]}, timeout=60)
            assert r.status_code == 200, (url, r.text)
            vectors = [d["embedding"] for d in r.json()["data"]]
            assert len(vectors) == 2 and all(abs(sum(x * x for x in v) - 1) < 1e-4 for v in vectors), url


def test_a_keyed_command_line_runs_onboth(llama_server_binary: list[str], model: str, tmp_path: Path) -> None:
    keys = tmp_path / "keys.txt"
    keys.write_text("# keys\nfirst-key\nsecond-key\n")
    args = ["-m", model, "-c", "256", "-np", "1", "--api-key-file", str(keys), "--slot-save-path", str(tmp_path) + "/"]
    with both(llama_server_binary, args, tmp_path) as urls:
        for url in urls:
            assert httpx.get(url + "/v1/models", timeout=30).status_code == 401
            wrong = httpx.get(url + "/v1/models", headers={"Authorization": "Bearer nope"}, timeout=30)
            assert wrong.status_code == 401 and wrong.json()["error"]["type"] == "authentication_error", (url, wrong.text)
            for header in ({"Authorization": "Bearer second-key"}, {"X-Api-Key": "first-key"}):
                assert httpx.get(url + "/v1/models", headers=header, timeout=30).status_code == 200, (url, header)
            body = {"messages": HELLO, "max_tokens": 2}
            r = httpx.post(url + "/v1/chat/completions", json=body, headers={"X-Api-Key": "first-key"}, timeout=60)
            assert r.status_code == 200, (url, r.text)
            saved = httpx.post(url + "/slots/0?action=save", json={"filename": "s.bin"},
                               headers={"X-Api-Key": "first-key"}, timeout=60)  # fmt: skip
            assert saved.status_code == 200 and saved.json()["n_saved"] > 0, (url, saved.text)


def test_a_vision_command_line_runs_onboth(llama_server_binary: list[str], tmp_path: Path) -> None:
    model, projector = vision_paths("synthetic")
    args = ["-m", str(model), "--mmproj", str(projector), "-c", "1024", "-np", "1", "-t", "1"]
    with both(llama_server_binary, args, tmp_path) as urls:
        for url in urls:
            r = httpx.post(url + "/v1/chat/completions", json={"messages": HELLO, "max_tokens": 2}, timeout=60)
            assert r.status_code == 200, (url, r.text)


def _exits(args: list[str], tmp: Path) -> tuple[int, str]:
    result = subprocess.run([*OURS, *args], capture_output=True, text=True, cwd=tmp, timeout=60)
    return result.returncode, result.stderr


@pytest.mark.parametrize(
    "flag, needle",
    [
        (["--no-such-flag"], "--no-such-flag"),
        (["--lora", "adapter.gguf"], "--lora"),  # a llama-server flag we do not support
        (["-fa", "sometimes"], "-fa/--flash-attn takes on, off or auto"),
        (["--chat-template", "no-such-template"], "'no-such-template' is neither a built-in template"),
        (["-c", "256", "--n-ctx", "128"], "not both"),
        (["--api-key-file", "missing-keys.txt"], "--api-key-file missing-keys.txt"),
        (["--pooling", "sideways"], "--pooling"),
    ],
)
def test_a_flag_that_cannot_work_stops_the_server_by_name(flag: list[str], needle: str, model: str,
                                                          tmp_path: Path) -> None:  # fmt: skip
    code, err = _exits(["-m", model, *flag], tmp_path)
    assert code != 0 and needle in err, (code, err)
    assert "Traceback" not in err and err.count("\n") <= 3, err


def test_llama_server_refuses_an_unknown_flag_too(llama_server_binary: list[str], model: str) -> None:
    result = subprocess.run([*llama_server_binary, "-m", model, "--no-such-flag"], capture_output=True, timeout=60)
    assert result.returncode != 0


def test_the_flags_mean_what_they_mean_in_llama_server(model: str, tmp_path: Path) -> None:
    template = tmp_path / "t.jinja"
    template.write_text("{% for m in messages %}{{ m.content }}{% endfor %}")
    s = parse_settings(["-m", model, "-c", "1000", "-np", "4", "-ngl", "99", "-t", "3", "-tb", "5", "--temp", "0.2",
                        "-n", "32", "--api-key", "a,b", "--rerank", "-fa", "on", "--chat-template-file", str(template),
                        "--host", "127.0.0.1,::1", "-to", "12", "-a", "m"], env={})  # fmt: skip
    load = s.models[0].load
    assert (load["n_ctx"], load["n_parallel"], load["n_gpu_layers"], load["n_threads"]) == (250, 4, 99, 3)
    assert load["n_threads_batch"] == 5 and load["flash_attn"] is True and load["chat_template"].startswith("{%")
    assert load["embedding"] is True and load["pooling_type"] == LLAMA_POOLING_TYPE_RANK
    assert (s.temperature, s.n_predict, s.api_keys, s.hosts, s.request_timeout) == (0.2, 32, ["a", "b"],
                                                                                    ["127.0.0.1", "::1"], 12.0)
    assert s.models[0].alias == "m"
    alone = parse_settings(["-m", model, "-c", "1000", "--embedding", "--pooling", "mean"], env={}).models[0].load
    assert (alone["n_ctx"], alone["n_parallel"]) == (1000, 1)  # -c without -np: one slot of the whole context
    assert alone["pooling_type"] == LLAMA_POOLING_TYPE_MEAN
    assert parse_settings(["-m", model, "--chat-template", "llama3"], env={}).models[0].load["chat_format"] == "llama-3"
    assert parse_settings(["-m", model], env={}).n_predict == -1  # no cap by default, as llama-server
