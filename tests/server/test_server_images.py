"""The server reads images: ``--mmproj-path``, OpenAI ``image_url`` parts from the openai SDK, errors as HTTP 400."""

from __future__ import annotations

from collections.abc import Iterator

import openai
import pytest

from conftest import Served, start_server, stop_server
from images import VISION_KINDS, ask, data_url, vision_paths
from llama_native import Llama


@pytest.fixture(scope="module")
def vision_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Served, Llama]]:
    model, mmproj = vision_paths(VISION_KINDS[0])
    served = start_server(tmp_path_factory.mktemp("vision"), "--model", str(model), "--model-alias", "vlm",
                          "--mmproj-path", str(mmproj), "--n-ctx", "1024", "--n-parallel", "2")  # fmt: skip
    yield served, Llama(str(model), mmproj_path=str(mmproj), n_ctx=1024)
    stop_server(served)


def _client(served: Served) -> openai.OpenAI:
    return openai.OpenAI(base_url=served.v1, api_key="none", max_retries=0)


def test_server_answers_as_in_process(vision_server: tuple[Served, Llama]) -> None:
    served, local = vision_server
    for seed in (1, 2):
        expected = local.create_chat_completion(ask(data_url(seed)), temperature=0, max_tokens=12)
        got = _client(served).chat.completions.create(
            model="vlm", messages=ask(data_url(seed)), temperature=0, max_tokens=12  # type: ignore[arg-type]
        )
        assert got.choices[0].message.content == expected["choices"][0]["message"]["content"]
        assert got.usage is not None and got.usage.prompt_tokens == expected["usage"]["prompt_tokens"]


def test_server_streams_an_image_reply(vision_server: tuple[Served, Llama]) -> None:
    served, local = vision_server
    expected = local.create_chat_completion(ask(data_url(3)), temperature=0, max_tokens=12)
    stream = _client(served).chat.completions.create(
        model="vlm", messages=ask(data_url(3)), temperature=0, max_tokens=12, stream=True  # type: ignore[arg-type]
    )
    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert text == expected["choices"][0]["message"]["content"]


def test_server_names_a_bad_image(vision_server: tuple[Served, Llama]) -> None:
    served, _ = vision_server
    with pytest.raises(openai.BadRequestError, match="not a PNG, JPEG, WebP, GIF or BMP image"):
        _client(served).chat.completions.create(
            model="vlm", messages=ask("data:image/png;base64,AAAAAAAA"), max_tokens=2  # type: ignore[arg-type]
        )


def test_server_without_projector_refuses_images(server: Served) -> None:
    with pytest.raises(openai.BadRequestError, match="no projector to read them"):
        _client(server).chat.completions.create(
            model="local", messages=ask(data_url(0)), max_tokens=2  # type: ignore[arg-type]
        )


def test_remote_client_passes_images_to_an_openai_server(vision_server: tuple[Served, Llama]) -> None:
    from llama_native.remote import RemoteLlama

    served, local = vision_server
    expected = local.create_chat_completion(ask(data_url(5)), temperature=0, max_tokens=12)
    with RemoteLlama(served.v1, api="openai", model="vlm", timeout=60) as remote:
        got = remote.create_chat_completion(ask(data_url(5)), temperature=0, max_tokens=12)
    assert got["choices"][0]["message"]["content"] == expected["choices"][0]["message"]["content"]


def test_remote_client_refuses_images_by_token_ids() -> None:
    """Against llama-server the client renders prompts to token ids, which carry no pictures: a clear refusal."""
    from llama_native.remote import RemoteLlama

    remote = RemoteLlama("http://127.0.0.1:9", api="llama.cpp", connect_timeout=1, max_retries=0)
    with pytest.raises(NotImplementedError, match="api='openai'"):
        remote.create_chat_completion(ask(data_url(0)), max_tokens=2)


def test_llama_cpp_python_config_keys_load_a_vision_model(tmp_path) -> None:
    """llama-cpp-python's server config names the projector clip_model_path, with a handler's chat_format."""
    import json

    from llama_native.llama_chat_format import Llava15ChatHandler
    from llama_native.model_pool import shared_llama
    from llama_native.server.settings import parse_settings

    model, mmproj = vision_paths(VISION_KINDS[0])
    config = tmp_path / "config.json"
    entry = {"model": str(model), "model_alias": "llava", "clip_model_path": str(mmproj), "chat_format": "llava-1-5"}
    config.write_text(json.dumps({"models": [entry, {"model": str(model), "model_alias": "plain", "n_ctx": 512}]}))
    settings = parse_settings(["--config", str(config)], env={})
    load = settings.models[0].load
    assert isinstance(load["chat_handler"], Llava15ChatHandler) and load["chat_handler"].clip_model_path == str(mmproj)
    llm = shared_llama(settings.models[0].path, **load)
    assert llm.supports_images
    reply = llm.create_chat_completion(ask(data_url(9)), max_tokens=4)
    assert reply["usage"]["prompt_tokens"] > 16
    config.write_text(json.dumps({"models": [{"model": str(model), "chat_format": "llava-1-5"}]}))
    with pytest.raises(SystemExit, match="needs clip_model_path"):
        parse_settings(["--config", str(config)], env={})
