"""Images through LangChain (standard and OpenAI image blocks) and LlamaIndex (ImageBlock).

Each integration must send the picture the in-process ``Llama`` reads from the
equivalent OpenAI message: greedy replies and prompt sizes must match.
"""

from __future__ import annotations

import base64
from pathlib import Path

import jsonschema
import pytest
from langchain_core.messages import HumanMessage
from llama_index.core.base.llms.types import ChatMessage, ImageBlock, TextBlock
from pydantic import BaseModel, Field

from images import VISION_KINDS, ask, data_url, image_bytes, vision_paths
from langchain_llama_native import ChatLlamaCpp
from llama_index.llms.llama_native import LlamaCPP
from llama_native import Llama

QUESTION = "What is in this picture?"


@pytest.fixture(scope="module", params=VISION_KINDS)
def paths(request: pytest.FixtureRequest) -> tuple[str, str]:
    model, mmproj = vision_paths(request.param)
    return str(model), str(mmproj)


@pytest.fixture(scope="module")
def reference(paths: tuple[str, str]) -> Llama:
    return Llama(paths[0], mmproj_path=paths[1], n_ctx=1024)


def _expected(llm: Llama, url: str) -> tuple[str, int]:
    reply = llm.create_chat_completion(ask(url, QUESTION), temperature=0, max_tokens=12)
    return reply["choices"][0]["message"]["content"] or "", reply["usage"]["prompt_tokens"]


@pytest.fixture(scope="module")
def chat(paths: tuple[str, str]) -> ChatLlamaCpp:
    return ChatLlamaCpp(model_path=paths[0], mmproj_path=paths[1], n_ctx=1024, temperature=0, max_tokens=12)


def _b64(seed: int) -> str:
    return base64.b64encode(image_bytes(seed)).decode()


@pytest.mark.parametrize(
    "block",
    [
        {"type": "image", "base64": _b64(1), "mime_type": "image/png"},  # langchain-core 1.x standard
        {"type": "image", "url": data_url(1)},
        {"type": "image", "source_type": "base64", "data": _b64(1), "mime_type": "image/png"},  # 0.3 standard
        {"type": "image_url", "image_url": {"url": data_url(1)}},  # OpenAI's
    ],
    ids=["standard-base64", "standard-url", "v0-base64", "openai"],
)
def test_langchain_image_blocks(chat: ChatLlamaCpp, reference: Llama, block: dict) -> None:
    text, prompt_tokens = _expected(reference, data_url(1))
    reply = chat.invoke([HumanMessage(content=[{"type": "text", "text": QUESTION}, block])])
    assert reply.content == text
    assert reply.usage_metadata is not None and reply.usage_metadata["input_tokens"] == prompt_tokens


def test_langchain_streams_with_an_image(chat: ChatLlamaCpp, reference: Llama) -> None:
    text, _ = _expected(reference, data_url(2))
    message = HumanMessage(content=[{"type": "text", "text": QUESTION}, {"type": "image", "url": data_url(2)}])
    assert "".join(str(c.content) for c in chat.stream([message])) == text


def test_langchain_structured_output_from_an_image(paths: tuple[str, str]) -> None:
    class Seen(BaseModel):
        colour: str = Field(max_length=12)
        shapes: int

    llm = ChatLlamaCpp(model_path=paths[0], mmproj_path=paths[1], n_ctx=1024, temperature=0.7, max_tokens=80)
    finished = 0
    for seed in (1, 2, 3):
        message = HumanMessage(content=[{"type": "text", "text": "Describe it."}, {"type": "image", "url": data_url(seed)}])
        out = llm.bind(seed=seed).with_structured_output(Seen, include_raw=True).invoke([message])
        if out["parsed"] is not None:
            jsonschema.validate(out["parsed"].model_dump(), Seen.model_json_schema())
            finished += 1
    assert finished >= 2


def test_langchain_refuses_images_outside_user_messages(chat: ChatLlamaCpp) -> None:
    from langchain_core.messages import SystemMessage

    with pytest.raises(ValueError, match="images go in user messages only"):
        chat.invoke([SystemMessage(content=[{"type": "image", "url": data_url(0)}]), HumanMessage("hi")])


@pytest.fixture(scope="module")
def index_llm(paths: tuple[str, str]) -> LlamaCPP:
    return LlamaCPP(model_path=paths[0], mmproj_path=paths[1], context_window=1024, temperature=0, max_new_tokens=12)


def test_llama_index_image_blocks(index_llm: LlamaCPP, reference: Llama, tmp_path: Path) -> None:
    text, prompt_tokens = _expected(reference, data_url(3))
    path = tmp_path / "picture.png"
    path.write_bytes(image_bytes(3))
    for image in (
        ImageBlock(image=image_bytes(3), image_mimetype="image/png"),
        ImageBlock(path=path),
        ImageBlock(url=path.as_uri()),
    ):
        reply = index_llm.chat([ChatMessage(role="user", blocks=[TextBlock(text=QUESTION), image])])
        assert reply.message.content == text
        assert reply.raw["usage"]["prompt_tokens"] == prompt_tokens


def test_llama_index_streams_with_an_image(index_llm: LlamaCPP, reference: Llama) -> None:
    text, _ = _expected(reference, data_url(4))
    message = ChatMessage(role="user", blocks=[TextBlock(text=QUESTION), ImageBlock(image=image_bytes(4))])
    chunks = list(index_llm.stream_chat([message]))
    assert chunks[-1].message.content == text


def test_llama_index_without_projector_names_the_setting(paths: tuple[str, str]) -> None:
    llm = LlamaCPP(model_path=paths[0], context_window=512, max_new_tokens=2)
    message = ChatMessage(role="user", blocks=[TextBlock(text=QUESTION), ImageBlock(image=image_bytes(0))])
    with pytest.raises(ValueError, match="mmproj_path"):
        llm.chat([message])


def test_langchain_profile_says_it_reads_images(chat: ChatLlamaCpp, paths: tuple[str, str]) -> None:
    assert chat.profile is not None and chat.profile["image_inputs"]
    via_kwargs = ChatLlamaCpp(model_path=paths[0], model_kwargs={"mmproj_path": paths[1]})
    assert via_kwargs.profile is not None and via_kwargs.profile["image_inputs"]
    assert not ChatLlamaCpp(model_path=paths[0]).profile["image_inputs"]  # type: ignore[index]
