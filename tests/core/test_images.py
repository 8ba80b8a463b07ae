"""Images through libmtmd: token counts, determinism, streaming, prefix reuse, sources and errors.

Runs on random-weight models with the random projector ``llama_native.testing``
writes (or on ``LLAMA_NATIVE_TEST_MODEL`` + ``LLAMA_NATIVE_TEST_MMPROJ``).
"""

from __future__ import annotations

import http.server
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from images import (
    ENV_MMPROJ,
    FIXED_COUNT_KINDS,
    QWEN2VL_PROJECTOR,
    NEEDS_VISION,
    SYNTHETIC_IMAGE_TOKENS,
    VISION_KINDS,
    ask,
    data_url,
    image_bytes,
    picture,
    vision_paths,
)
from helpers import ENV_MODEL, no_eog_bias
from llama_native import ContextOverflowError, Llama, LlamaRAMCache
from llama_native.images import ImageError, read_image_source
from llama_native.llama_chat_format import Llava15ChatHandler, MoondreamChatHandler
from llama_native.testing import ProjectorSpec, synthetic_model_path, synthetic_projector_path

SEEDS = (1, 2, 3)


@pytest.fixture(scope="module", params=VISION_KINDS)
def vision_kind(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="module")
def vlm(vision_kind: str) -> Llama:
    model, mmproj = vision_paths(vision_kind)
    # flash attention auto, the default of the parallel contexts it is compared with (n_parallel > 1)
    return Llama(str(model), mmproj_path=str(mmproj), n_ctx=1024, flash_attn=None)


def _text(reply: dict) -> str:
    return reply["choices"][0]["message"]["content"] or ""


def _chat(llm: Llama, messages: list, **kw) -> dict:
    kw.setdefault("max_tokens", 12)
    return llm.create_chat_completion(messages, **kw)


# ------------------------------------------------------------------ tokens
def test_image_takes_the_projector_token_count(vlm: Llama, vision_kind: str) -> None:
    url = data_url(0)
    n_image = vlm.count_image_tokens(url)
    if vision_kind in FIXED_COUNT_KINDS:  # a LLaVA MLP projector: one token per patch, no markers
        assert n_image == SYNTHETIC_IMAGE_TOKENS == 16
    assert n_image > 0
    text_only = [{"role": "user", "content": [{"type": "text", "text": "What is in this picture?"}]}]
    with_image = _chat(vlm, ask(url), max_tokens=1, temperature=0)
    without = _chat(vlm, text_only, max_tokens=1, temperature=0)
    assert with_image["usage"]["prompt_tokens"] == without["usage"]["prompt_tokens"] + n_image


def test_image_size_does_not_change_a_fixed_projector_count() -> None:
    """A LLaVA-1.5 projector resizes every picture to its square: one count whatever the size (Qwen2-VL's
    vary, see the qwen2vl test)."""
    llm = Llama(str(synthetic_model_path()), mmproj_path=str(synthetic_projector_path()), n_ctx=256)
    counts = {llm.count_image_tokens(data_url(0, size=s)) for s in ((16, 16), (48, 40), (300, 120))}
    assert counts == {SYNTHETIC_IMAGE_TOKENS}


def test_two_images_in_one_message_count_twice(vlm: Llama) -> None:
    one = _chat(vlm, ask(data_url(0)), max_tokens=1, temperature=0)
    two_messages = ask(data_url(0))
    two_messages[0]["content"].append({"type": "image_url", "image_url": {"url": data_url(1)}})
    two_messages[0]["content"].append({"type": "text", "text": "Compare them."})
    two = _chat(vlm, two_messages, max_tokens=1, temperature=0)
    n1 = vlm.count_image_tokens(data_url(1))
    compare = len(vlm.tokenize(b"Compare them.", add_bos=False))
    assert two["usage"]["prompt_tokens"] >= one["usage"]["prompt_tokens"] + n1 + compare - 2  # (token boundaries)
    assert two["usage"]["prompt_tokens"] > one["usage"]["prompt_tokens"] + n1


def test_qwen2vl_images_take_m_rope_positions_and_their_true_count() -> None:
    """Qwen2-VL's images keep their aspect (more pixels: more tokens) and advance fewer positions than tokens;
    usage counts the tokens, and a repeat reuses them all."""
    model, mmproj = vision_paths("qwen2vl")
    llm = Llama(str(model), mmproj_path=str(mmproj), n_ctx=2048)
    small, wide, large = (llm.count_image_tokens(data_url(0, size=s)) for s in ((48, 40), (160, 48), (160, 160)))
    assert small < wide < large
    text_only = [{"role": "user", "content": [{"type": "text", "text": "What is in this picture?"}]}]
    without = _chat(llm, text_only, max_tokens=1)["usage"]["prompt_tokens"]
    first = _chat(llm, ask(data_url(0, size=(160, 160))), max_tokens=1, temperature=0)
    assert first["usage"]["prompt_tokens"] == without + large
    again = _chat(llm, ask(data_url(0, size=(160, 160))), max_tokens=1, temperature=0)
    assert again["usage"]["prompt_tokens_details"]["cached_tokens"] == first["usage"]["prompt_tokens"] - 1


def test_generation_stops_at_a_full_context_with_an_image(vision_kind: str) -> None:
    model, mmproj = vision_paths(vision_kind)
    llm = Llama(str(model), mmproj_path=str(mmproj), n_ctx=256)
    reply = _chat(llm, ask(data_url(0, size=(96, 96))), max_tokens=None, logit_bias=no_eog_bias(llm), seed=1)
    assert reply["choices"][0]["finish_reason"] == "length"
    assert 200 < reply["usage"]["total_tokens"] <= 256  # the images' KV cells counted, never overrun


# ------------------------------------------------------------- determinism
@pytest.mark.parametrize("seed", SEEDS)
def test_same_seed_same_output(vlm: Llama, seed: int) -> None:
    kw = dict(temperature=0.9, seed=seed, max_tokens=16)
    first = _chat(vlm, ask(data_url(seed)), **kw)
    vlm.reset()  # (a cold cache: the image is decoded again)
    second = _chat(vlm, ask(data_url(seed)), **kw)
    assert _text(first) == _text(second)
    assert first["usage"]["completion_tokens"] == second["usage"]["completion_tokens"]


@pytest.mark.parametrize("seed", SEEDS)
def test_streaming_equals_non_streaming(vlm: Llama, seed: int) -> None:
    kw = dict(temperature=0.9, seed=seed, max_tokens=16)
    whole = _chat(vlm, ask(data_url(seed)), **kw)
    chunks = list(vlm.create_chat_completion(ask(data_url(seed)), stream=True, **kw))
    streamed = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert streamed == _text(whole)
    usage = [c["usage"] for c in chunks if c.get("usage")]
    assert usage and usage[-1]["prompt_tokens"] == whole["usage"]["prompt_tokens"]


def test_async_and_a_cancelled_stream_with_an_image(vlm: Llama) -> None:
    import asyncio

    kw = dict(temperature=0, max_tokens=12)
    expected = _text(_chat(vlm, ask(data_url(7)), **kw))

    async def run() -> str:
        stream = await vlm.acreate_chat_completion(ask(data_url(8)), stream=True, max_tokens=200, temperature=0)
        async for _ in stream:
            break  # leave after the first chunk: generation stops
        await stream.aclose()
        reply = await vlm.acreate_chat_completion(ask(data_url(7)), **kw)
        return _text(reply)

    assert asyncio.run(run()) == expected


def test_different_images_give_different_prompts(vlm: Llama) -> None:
    """Other pixels: other embeddings, so the first token's distribution differs, and no prefix past the image is reused."""
    kw = dict(temperature=0, max_tokens=1, logprobs=True, top_logprobs=5)
    a = _chat(vlm, ask(data_url(10)), **kw)
    a_again = _chat(vlm, ask(data_url(10)), **kw)
    b = _chat(vlm, ask(data_url(11)), **kw)
    top = lambda r: [(t["token"], round(t["logprob"], 4)) for t in r["choices"][0]["logprobs"]["content"][0]["top_logprobs"]]  # noqa: E731
    assert top(a) == top(a_again)
    assert top(a) != top(b)
    n = a["usage"]["prompt_tokens"]
    assert a_again["usage"]["prompt_tokens_details"]["cached_tokens"] == n - 1  # the same image: all reused
    # another image: what comes before it is reused, nothing of it or after it (every test projector makes
    # at least 9 embeddings of a picture: 16 for the LLaVA one, a 3x3 grid or more for Qwen2-VL's)
    assert b["usage"]["prompt_tokens_details"]["cached_tokens"] < n - 1 - 9


def test_same_pixels_in_another_format_reuse_the_prefix(vlm: Llama) -> None:
    """An image's identity is its pixels: the same picture as PNG and as lossless WebP shares the cache."""
    first = _chat(vlm, ask(data_url(20, "PNG")), max_tokens=1, temperature=0)
    url = "data:image/webp;base64," + __import__("base64").b64encode(_lossless_webp(20)).decode()
    second = _chat(vlm, ask(url), max_tokens=1, temperature=0)
    assert second["usage"]["prompt_tokens_details"]["cached_tokens"] == first["usage"]["prompt_tokens"] - 1


def _lossless_webp(seed: int) -> bytes:
    import io

    buffer = io.BytesIO()
    picture(seed).save(buffer, "WEBP", lossless=True)
    return buffer.getvalue()


def test_an_image_seen_before_is_not_encoded_again(vision_kind: str) -> None:
    """Moved in the prompt (no KV prefix to reuse), the same picture is decoded from kept embeddings:
    the reply is the one a fresh encode gives, and the encoder does not run."""
    model, mmproj = vision_paths(vision_kind)
    llm = Llama(str(model), mmproj_path=str(mmproj), n_ctx=1024)
    fresh = Llama(str(model), mmproj_path=str(mmproj), n_ctx=1024)
    fresh.image_cache.image_cache_bytes = 0  # every image encoded
    first = ask(data_url(40), "Look at this.")
    moved = ask(data_url(40), "Now tell me again, in other words: what is in this picture?")
    for conversation in (first, moved):
        kept = _chat(llm, conversation, temperature=0, max_tokens=6, logprobs=True, top_logprobs=3)
        encoded = _chat(fresh, conversation, temperature=0, max_tokens=6, logprobs=True, top_logprobs=3)
        assert _text(kept) == _text(encoded)
        assert kept["choices"][0]["logprobs"] == encoded["choices"][0]["logprobs"]
    assert moved[0]["content"][0] != first[0]["content"][0]
    assert llm.image_cache.images_encoded == 1 and llm.image_cache.image_cache_hits == 1
    assert fresh.image_cache.images_encoded == 2 and fresh.image_cache.image_cache_hits == 0
    assert fresh.image_cache.image_cache_used == 0 < llm.image_cache.image_cache_used
    _chat(llm, ask(data_url(41)), max_tokens=1)  # another picture is encoded
    assert llm.image_cache.images_encoded == 2
    llm.image_cache.image_cache_bytes = 0  # shrinking the cache drops what it held
    assert llm.image_cache.image_cache_used == 0
    _chat(llm, ask(data_url(40), "Once more?"), max_tokens=1)
    assert llm.image_cache.images_encoded == 3


def test_prompt_cache_restores_a_prompt_with_an_image(vision_kind: str) -> None:
    model, mmproj = vision_paths(vision_kind)
    llm = Llama(str(model), mmproj_path=str(mmproj), n_ctx=1024)
    llm.set_cache(LlamaRAMCache(capacity_bytes=64 << 20))
    first = _chat(llm, ask(data_url(30)), temperature=0)
    _chat(llm, [{"role": "user", "content": "Something else, to push the image out of the live context."}])
    again = _chat(llm, ask(data_url(30)), temperature=0)
    assert again["usage"]["prompt_tokens_details"]["cached_tokens"] == first["usage"]["prompt_tokens"] - 1
    assert _text(again) == _text(first)
    other = _chat(llm, ask(data_url(31)), temperature=0)  # another image is not mistaken for the cached one
    assert other["usage"]["prompt_tokens_details"]["cached_tokens"] < first["usage"]["prompt_tokens"] - 16


def test_parallel_context_reads_images_as_one_sequence_does(vision_kind: str, vlm: Llama) -> None:
    model, mmproj = vision_paths(vision_kind)
    parallel = Llama(str(model), mmproj_path=str(mmproj), n_ctx=2048, n_parallel=2)
    seeds = [40, 41, 42, 43]
    expected = [_text(_chat(vlm, ask(data_url(s)), temperature=0)) for s in seeds]
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda s: _text(_chat(parallel, ask(data_url(s)), temperature=0)), seeds))
    assert got == expected
    _chat(parallel, ask(data_url(44)), temperature=0)
    again = _chat(parallel, ask(data_url(44)), temperature=0)  # the slot holding it is chosen, its image reused
    assert again["usage"]["prompt_tokens_details"]["cached_tokens"] == again["usage"]["prompt_tokens"] - 1


def test_parallel_slots_with_adjacent_images(vision_kind: str, vlm: Llama) -> None:
    """Three sequences, each prompt two pictures in a row: a slot may sit between busy ones while it waits
    at its second picture (its KV then ends in an image), and the batch must still decode."""
    model, mmproj = vision_paths(vision_kind)
    parallel = Llama(str(model), mmproj_path=str(mmproj), n_ctx=3072, n_parallel=3, n_batch=64)

    def two_pictures(seed: int) -> list:
        # texts of different lengths before the pictures, so the sequences reach them in different steps
        content = [{"type": "text", "text": "Compare these. " + "look closely " * (12 * (seed % 5))}]
        content += [{"type": "image_url", "image_url": {"url": data_url(seed + k)}} for k in (0, 100)]
        return [{"role": "user", "content": content + [{"type": "text", "text": "Which is brighter?"}]}]

    seeds = [80, 81, 82, 83, 84, 85]
    expected = [_text(_chat(vlm, two_pictures(s), temperature=0, max_tokens=24)) for s in seeds]
    with ThreadPoolExecutor(3) as pool:
        got = list(pool.map(lambda s: _text(_chat(parallel, two_pictures(s), temperature=0, max_tokens=24)), seeds))
    assert got == expected


def test_structured_output_with_an_image_is_valid(vlm: Llama) -> None:
    schema = {
        "type": "object",
        "properties": {"colour": {"type": "string", "maxLength": 12}, "count": {"type": "integer"}},
        "required": ["colour", "count"],
    }
    fmt = {"type": "json_schema", "json_schema": {"name": "seen", "schema": schema}}
    import json

    import jsonschema

    finished = 0
    for seed in SEEDS:
        reply = _chat(vlm, ask(data_url(seed)), response_format=fmt, seed=seed, temperature=0.8, max_tokens=80)
        if reply["choices"][0]["finish_reason"] == "stop":
            jsonschema.validate(json.loads(_text(reply)), schema)
            finished += 1
    assert finished >= 2


def test_same_replies_as_llama_server(vision_kind: str, vlm: Llama) -> None:
    """llama.cpp's own server, same model, projector and messages: the same prompt size and greedy text."""
    from llama_native.llama_cpp_tools import LlamaServer

    model, mmproj = vision_paths(vision_kind)
    args = ["--mmproj", str(mmproj), "--no-mmproj-offload", "-np", "1"]
    with LlamaServer(model, threads=2, n_ctx=1024, args=args) as server:
        for seed in SEEDS:
            ours = _chat(vlm, ask(data_url(seed)), temperature=0, max_tokens=16)
            request = {"messages": ask(data_url(seed)), "temperature": 0, "max_tokens": 16, "cache_prompt": False}
            theirs = server.post("/v1/chat/completions", request)
            assert _text(ours) == theirs["choices"][0]["message"]["content"]
            assert ours["usage"]["prompt_tokens"] == theirs["usage"]["prompt_tokens"]


# ----------------------------------------------------------------- sources
def test_image_sources_are_read_alike(vlm: Llama, tmp_path: Path) -> None:
    """A data URL, a path, a file:// URL and an HTTP URL of the same file give the same reply."""
    data = image_bytes(50, "JPEG")
    path = tmp_path / "picture.jpg"
    path.write_bytes(data)
    with _serving(tmp_path) as base:
        urls = [
            "data:image/jpeg;base64," + __import__("base64").b64encode(data).decode(),
            str(path),
            path.as_uri(),
            f"{base}/picture.jpg",
        ]
        replies = [_text(_chat(vlm, ask(u), temperature=0)) for u in urls]
    assert len(set(replies)) == 1


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP", "GIF", "BMP"])
def test_formats(vlm: Llama, fmt: str) -> None:
    reply = _chat(vlm, ask(data_url(60, fmt)), max_tokens=2)
    assert reply["usage"]["prompt_tokens"] > vlm.count_image_tokens(data_url(60, fmt))


def test_http_fetch_has_a_size_limit_and_a_timeout(tmp_path: Path) -> None:
    (tmp_path / "big.png").write_bytes(image_bytes(0, size=(400, 400)))
    with _serving(tmp_path) as base:
        with pytest.raises(ImageError, match="more than the limit of 1000"):
            read_image_source(f"{base}/big.png", max_bytes=1000)
        with pytest.raises(ImageError, match="HTTP 404"):
            read_image_source(f"{base}/missing.png")
    with _silent_server() as base:
        with pytest.raises(ImageError, match="timed out"):
            read_image_source(f"{base}/slow.png", timeout=0.5)


# ------------------------------------------------------------------ errors
def test_image_without_projector_is_refused() -> None:
    llm = Llama(str(ENV_MODEL or synthetic_model_path()), n_ctx=256)
    assert not llm.supports_images
    with pytest.raises(ValueError, match="no projector to read them: load it with .*mmproj_path"):
        llm.create_chat_completion(ask(data_url(0)), max_tokens=1)


@pytest.mark.parametrize(
    "url, problem",
    [
        ("data:image/png;base64,AAAAAAAAAAAA", "not a PNG, JPEG, WebP, GIF or BMP image"),
        ("data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=", "unsupported image type image/svg\\+xml"),
        ("data:text/plain;base64,aGVsbG8=", "holds text/plain, not an image"),
        ("data:image/png;base64,!!!", "not a PNG"),
        ("ftp://example.com/x.png", "unsupported image URL scheme 'ftp'"),
        ("/no/such/picture.png", "image file not found"),
    ],
)
def test_bad_images_are_named(vlm: Llama, url: str, problem: str) -> None:
    with pytest.raises(ImageError, match=problem):
        vlm.create_chat_completion(ask(url), max_tokens=1)


def test_unsupported_format_is_named(vlm: Llama) -> None:
    tiff = data_url(0, "TIFF").replace("image/tiff", "image/png")  # a TIFF file under a PNG label
    with pytest.raises(ImageError, match="is TIFF; supported: PNG, JPEG, WebP, GIF, BMP"):
        vlm.create_chat_completion(ask(tiff), max_tokens=1)


def test_truncated_image_is_named(vlm: Llama) -> None:
    data = image_bytes(0, "PNG", size=(200, 200))
    url = "data:image/png;base64," + __import__("base64").b64encode(data[: len(data) // 2]).decode()
    with pytest.raises(ImageError, match="image 1"):
        vlm.create_chat_completion(ask(url), max_tokens=1)


def test_image_too_large_for_the_context() -> None:
    spec = ProjectorSpec(image_size=128, patch_size=8)  # 256 tokens an image
    llm = Llama(str(synthetic_model_path()), mmproj_path=str(synthetic_projector_path(spec)), n_ctx=256)
    with pytest.raises(ContextOverflowError, match="256 of them for 1 image: send fewer or smaller images") as info:
        llm.create_chat_completion(ask(data_url(0)), max_tokens=1)
    assert info.value.image_tokens == 256


def test_qwen2vl_image_too_large_for_the_context() -> None:
    model, mmproj = vision_paths("qwen2vl")
    llm = Llama(str(model), mmproj_path=str(mmproj), n_ctx=256)
    n_image = llm.count_image_tokens(data_url(0, size=(320, 320)))
    assert n_image > 256
    with pytest.raises(ContextOverflowError, match="of them for 1 image: send fewer or smaller images") as info:
        llm.create_chat_completion(ask(data_url(0, size=(320, 320))), max_tokens=1)
    assert 256 < info.value.image_tokens <= n_image  # (the count also has the image's marker tokens)


def test_projector_for_another_model_is_refused() -> None:
    other = synthetic_projector_path(ProjectorSpec(n_embd_text=32))
    with pytest.raises(ValueError, match=r"mismatch between text model \(n_embd = 64\) and mmproj \(n_embd = 32\)"):
        Llama(str(synthetic_model_path()), mmproj_path=str(other), n_ctx=256)


def test_a_model_file_is_not_a_projector() -> None:
    with pytest.raises(ValueError, match="could not load the projector"):
        Llama(str(synthetic_model_path()), mmproj_path=str(synthetic_model_path()), n_ctx=256)
    with pytest.raises(FileNotFoundError, match="projector \\(mmproj\\) file not found"):
        Llama(str(synthetic_model_path()), mmproj_path="/no/such/mmproj.gguf", n_ctx=256)


def test_images_only_in_chat_prompts(vlm: Llama) -> None:
    with pytest.raises(ValueError, match="outside the vocabulary"):
        vlm.create_completion([1, 2, -5], max_tokens=1)


# ---------------------------------------------------------------- handlers
def test_llava15_handler_loads_its_projector() -> None:
    mmproj = str(synthetic_projector_path())
    handler = Llava15ChatHandler(clip_model_path=mmproj, verbose=False)
    by_handler = Llama(str(synthetic_model_path()), chat_handler=handler, n_ctx=512)
    by_path = Llama(str(synthetic_model_path()), mmproj_path=mmproj, n_ctx=512)
    assert by_handler.supports_images and by_handler.mmproj_path == mmproj
    kw = dict(temperature=0, max_tokens=10)
    assert _text(by_handler.create_chat_completion(ask(data_url(70)), **kw)) == _text(
        by_path.create_chat_completion(ask(data_url(70)), **kw)
    )
    # called as llama-cpp-python calls a handler
    direct = handler(llama=by_handler, messages=ask(data_url(70)), **kw)
    assert _text(direct) == _text(by_path.create_chat_completion(ask(data_url(70)), **kw))
    with pytest.raises(ValueError, match="give the projector once"):
        Llama(str(synthetic_model_path()), chat_handler=handler, mmproj_path=str(synthetic_model_path()), n_ctx=256)


def test_handler_format_applies_to_a_model_without_a_template(tmp_path: Path) -> None:
    from llama_native.testing import ModelSpec, write_model

    bare = write_model(tmp_path / "bare.gguf", ModelSpec(chat_template="", extra={}))
    llm = Llama(str(bare), chat_handler=MoondreamChatHandler(str(synthetic_projector_path())), n_ctx=512)
    assert llm.chat_template == MoondreamChatHandler.CHAT_FORMAT
    prompt = llm.chat_formatter(messages=[{"role": "user", "content": "Describe it."}]).prompt
    assert prompt.endswith("Describe it.\n\nQuestion: Answer:")
    reply = llm.create_chat_completion(ask(data_url(71), "Describe it."), max_tokens=2)
    assert reply["usage"]["prompt_tokens"] > SYNTHETIC_IMAGE_TOKENS
    with_template = Llama(str(synthetic_model_path()), chat_handler=MoondreamChatHandler(str(synthetic_projector_path())))
    assert with_template.chat_template != MoondreamChatHandler.CHAT_FORMAT  # the GGUF's own template wins


# ---------------------------------------------------------------- semantic
@pytest.mark.skipif(ENV_MMPROJ is None, reason=NEEDS_VISION)
def test_a_real_model_sees_the_colour(vlm: Llama) -> None:
    import base64
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGB", (336, 336), "white")
    ImageDraw.Draw(image).ellipse((48, 48, 288, 288), fill=(220, 20, 20))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    url = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
    reply = _chat(vlm, ask(url, "What colour is the circle? Answer with one word."), temperature=0, max_tokens=16)
    assert "red" in _text(reply).lower()


# ----------------------------------------------------------------- helpers
class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


class _serving:
    """A loopback HTTP server over a folder (a context manager giving its base URL)."""

    def __init__(self, folder: Path) -> None:
        handler = lambda *a, **k: _Quiet(*a, directory=str(folder), **k)  # noqa: E731
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)

    def __enter__(self) -> str:
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class _silent_server:
    """A loopback socket that accepts and never answers."""

    def __enter__(self) -> str:
        import socket

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def __exit__(self, *exc: object) -> None:
        self.sock.close()
