"""Images for the multimodal tests: pictures made with Pillow, as data URLs and files, and the models that read them.

Imported as ``images`` (``tests/`` is on the path through pytest's ``pythonpath`` setting).
"""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

import numpy as np

from helpers import ENV_MODEL
from llama_native.testing import (
    ProjectorSpec,
    env_mmproj_path,
    real_tokenizer_model_path,
    synthetic_model_path,
    synthetic_projector_path,
)

ENV_MMPROJ = env_mmproj_path()
#: the (model, projector) pairs the image tests run on: the user's when both variables are set
#: (qwen2vl: a Qwen2-VL text model and merger, whose images take M-RoPE positions and vary in size)
VISION_KINDS = ["env"] if ENV_MODEL and ENV_MMPROJ else ["synthetic", "qwen2", "qwen2vl"]
#: kinds whose projector makes every image SYNTHETIC_IMAGE_TOKENS tokens
FIXED_COUNT_KINDS = ("synthetic", "qwen2")
QWEN2VL_PROJECTOR = ProjectorSpec(kind="qwen2vl", image_size=64, patch_size=8)
NEEDS_VISION = "needs a real vision model: set LLAMA_NATIVE_TEST_MODEL and LLAMA_NATIVE_TEST_MMPROJ"
#: image tokens per picture of the synthetic projector
SYNTHETIC_IMAGE_TOKENS = ProjectorSpec().n_image_tokens


def vision_paths(kind: str) -> tuple[Path, Path]:
    """The model and its projector for one kind."""
    if kind == "env":
        assert ENV_MODEL is not None and ENV_MMPROJ is not None
        return ENV_MODEL, ENV_MMPROJ
    if kind == "qwen2vl":
        return real_tokenizer_model_path("qwen2", arch="qwen2vl"), synthetic_projector_path(QWEN2VL_PROJECTOR)
    model = synthetic_model_path() if kind == "synthetic" else real_tokenizer_model_path(kind)
    return model, synthetic_projector_path()


def picture(seed: int = 0, size: tuple[int, int] = (48, 40)) -> Any:
    """A PIL image of random coloured blocks (``seed`` picks the picture)."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    blocks = rng.integers(0, 256, (4, 4, 3), dtype=np.uint8)
    pixels = np.kron(blocks, np.ones((size[1] // 4 + 1, size[0] // 4 + 1, 1), dtype=np.uint8))
    return Image.fromarray(pixels[: size[1], : size[0]])


def image_bytes(seed: int = 0, fmt: str = "PNG", size: tuple[int, int] = (48, 40)) -> bytes:
    buffer = io.BytesIO()
    picture(seed, size).save(buffer, fmt)
    return buffer.getvalue()


def data_url(seed: int = 0, fmt: str = "PNG", size: tuple[int, int] = (48, 40)) -> str:
    """The picture as a base64 data URL of format ``fmt`` (PNG, JPEG, WEBP, ...)."""
    return f"data:image/{fmt.lower()};base64," + base64.b64encode(image_bytes(seed, fmt, size)).decode()


def ask(url: str, text: str = "What is in this picture?") -> list[dict[str, Any]]:
    """A one-turn conversation: the question, then the image."""
    return [{"role": "user", "content": [{"type": "text", "text": text}, {"type": "image_url", "image_url": {"url": url}}]}]
