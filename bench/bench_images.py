"""Images: time to answer a chat with a picture, in process against llama-server on the same files.

The model is the benchmark model (llama-bpe tokenizer, 512 wide, 4 layers,
F16); the projector a random LLaVA-1.5-style one matched to it: a ViT of
``--vit-layers`` blocks, 384 wide, over 224-pixel images in 14-pixel patches,
so every picture is 256 prompt tokens.  Each request asks about a new picture
(greedy, ``max_tokens=8``); llama-server runs ``-np 1`` with the same threads
and ``cache_prompt=false``.  Reported: median seconds per request over
``--requests`` requests after one warm-up each, and the ratio ours / theirs.
Then each picture asked again behind other words ("moved": no KV prefix can
be reused, so both decode the picture anew; ours takes its embeddings from
the projector's cache of encoded images, llama-server encodes it again), and
the same picture asked again as before: our KV prefix (the image's
placeholder run) is reused, so the repeat costs only the question's tail.
Speed ratios are llama-server's time / ours (above 1: ours is faster).

Usage::

    python bench/bench_images.py [--threads 2] [--requests 8] [--vit-layers 4]
"""

from __future__ import annotations

import argparse
import base64
import io
import statistics
import time
from typing import Any

import numpy as np

from llama_native import Llama
from llama_native.llama_cpp_tools import LlamaServer
from llama_native.testing import ProjectorSpec, bench_model_path, synthetic_projector_path


def picture_url(seed: int) -> str:
    from PIL import Image

    pixels = np.random.default_rng(seed).integers(0, 256, (224, 224, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def ask(url: str, text: str = "Describe this picture in one sentence.") -> list[dict[str, Any]]:
    return [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": text},
                {"type": "image_url", "image_url": {"url": url}},
            ],
        }
    ]


MOVED = "Here is a picture I took yesterday. Please describe it in one sentence, plainly."


def timed(call: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    out = call()
    return time.perf_counter() - start, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--requests", type=int, default=8)
    parser.add_argument("--vit-layers", type=int, default=4)
    args = parser.parse_args()

    spec = ProjectorSpec(n_embd_text=512, image_size=224, patch_size=14, n_embd=384, n_ff=1536,
                         n_layer=args.vit_layers, n_head=6)  # fmt: skip
    model = bench_model_path()
    mmproj = synthetic_projector_path(spec, n_embd=512)
    urls = [picture_url(i) for i in range(args.requests + 1)]
    llm = Llama(str(model), mmproj_path=str(mmproj), n_ctx=2048, n_threads=args.threads)
    kw: dict[str, Any] = {"temperature": 0, "max_tokens": 8}

    ours: list[float] = []
    texts_ours = []
    llm.create_chat_completion(ask(urls[-1]), **kw)  # warm-up
    for url in urls[:-1]:
        seconds, reply = timed(lambda: llm.create_chat_completion(ask(url), **kw))
        ours.append(seconds)
        texts_ours.append(reply["choices"][0]["message"]["content"])
    prompt_tokens = reply["usage"]["prompt_tokens"]
    moved_ours = [timed(lambda: llm.create_chat_completion(ask(url, MOVED), **kw))[0] for url in urls[:-1]]
    repeat, again = timed(lambda: llm.create_chat_completion(ask(urls[-2], MOVED), **kw))

    theirs: list[float] = []
    texts_theirs = []
    server_args = ["--mmproj", str(mmproj), "--no-mmproj-offload", "-np", "1"]
    with LlamaServer(model, threads=args.threads, n_ctx=2048, args=server_args) as server:
        body = lambda url: {"messages": ask(url), "cache_prompt": False, **kw}  # noqa: E731
        server.post("/v1/chat/completions", body(urls[-1]))
        for url in urls[:-1]:
            seconds, reply = timed(lambda: server.post("/v1/chat/completions", body(url)))
            theirs.append(seconds)
            texts_theirs.append(reply["choices"][0]["message"]["content"])
        moved_body = lambda url: {"messages": ask(url, MOVED), "cache_prompt": False, **kw}  # noqa: E731
        moved_theirs = [timed(lambda: server.post("/v1/chat/completions", moved_body(url)))[0] for url in urls[:-1]]

    same = sum(a == b for a, b in zip(texts_ours, texts_theirs))
    print(f"model {model.name}, projector: {spec.n_image_tokens} tokens an image, {args.vit_layers} ViT layers")
    print(f"prompt: {prompt_tokens} tokens; {args.requests} requests, {args.threads} threads")
    print(f"ours        median {statistics.median(ours):.3f} s")
    print(f"llama-server median {statistics.median(theirs):.3f} s")
    print(f"speed ours / llama-server (their time / ours): {statistics.median(theirs) / statistics.median(ours):.2f}")
    print(f"same greedy text: {same}/{len(texts_ours)}")
    print(f"moved picture: ours median {statistics.median(moved_ours):.3f} s ({llm.image_cache.image_cache_hits} "
          f"encodes saved), llama-server {statistics.median(moved_theirs):.3f} s, speed "
          f"{statistics.median(moved_theirs) / statistics.median(moved_ours):.2f}")
    print(f"the same picture again: {repeat:.3f} s, {again['usage']['prompt_tokens_details']['cached_tokens']} "
          f"of {again['usage']['prompt_tokens']} prompt tokens reused")  # fmt: skip


if __name__ == "__main__":
    main()
