"""Random-weight image projectors (``mmproj`` GGUFs) that llama.cpp's libmtmd loads, for the image tests."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .models import _cached_file
from .writer import ModelSpec, _finish


@dataclass(frozen=True)
class ProjectorSpec:
    """Shape of a random-weight LLaVA-1.5-style image projector (``clip.projector_type = "mlp"``).

    A ViT of ``n_layer`` blocks over ``image_size``-pixel square images cut
    into ``patch_size`` patches, then a two-layer MLP into the language
    model's width ``n_embd_text``.  An image becomes
    ``(image_size // patch_size) ** 2`` embeddings (16 by default).
    """

    n_embd_text: int = 64  # the language model's n_embd (mtmd refuses a projector of another width)
    image_size: int = 32
    patch_size: int = 8
    n_embd: int = 32
    n_ff: int = 64
    n_layer: int = 2  # llava reads the second-to-last block's output
    n_head: int = 2
    seed: int = 0
    #: "mlp" (LLaVA-1.5) or "qwen2vl" (Qwen2-VL's merger: images keep their aspect, 2x2 patches merged
    #: into one token, M-RoPE positions; for a model written with ``ModelSpec(arch="qwen2vl")``)
    kind: str = "mlp"

    @property
    def n_image_tokens(self) -> int:
        """Embeddings (prompt tokens) one image becomes (an "mlp" projector's; Qwen2-VL's vary with the image)."""
        return (self.image_size // self.patch_size) ** 2


def write_projector(path: os.PathLike | str, spec: ProjectorSpec = ProjectorSpec()) -> Path:
    """Write a random-weight image projector GGUF (an ``mmproj`` file) that llama.cpp's libmtmd loads.

    Example::

        >>> import tempfile, os
        >>> p = write_projector(os.path.join(tempfile.mkdtemp(), "mmproj.gguf"))
        >>> p.stat().st_size > 0
        True
    """
    import gguf

    path = Path(path)
    rng = np.random.default_rng(spec.seed)
    n_patches = (spec.image_size // spec.patch_size) ** 2

    def weight(*shape: int, scale: float = 1.0) -> np.ndarray:
        return (rng.standard_normal(shape, dtype=np.float32) * (scale / np.sqrt(shape[-1]))).astype(np.float32)

    writer = gguf.GGUFWriter(str(path), "clip")
    writer.add_name("llama-native random test projector")
    qwen = spec.kind == "qwen2vl"
    if spec.kind not in ("mlp", "qwen2vl"):
        raise ValueError(f"ProjectorSpec.kind must be 'mlp' or 'qwen2vl', got {spec.kind!r}")
    writer.add_string("clip.projector_type", "qwen2vl_merger" if qwen else "mlp")
    writer.add_bool("clip.has_vision_encoder", True)
    writer.add_bool("clip.use_gelu", True)
    writer.add_uint32("clip.vision.image_size", spec.image_size)
    writer.add_uint32("clip.vision.patch_size", spec.patch_size)
    writer.add_uint32("clip.vision.embedding_length", spec.n_embd)
    writer.add_uint32("clip.vision.feed_forward_length", spec.n_ff)
    writer.add_uint32("clip.vision.block_count", spec.n_layer)
    writer.add_uint32("clip.vision.projection_dim", spec.n_embd_text)
    writer.add_uint32("clip.vision.attention.head_count", spec.n_head)
    writer.add_float32("clip.vision.attention.layer_norm_epsilon", 1e-5)
    writer.add_array("clip.vision.image_mean", [0.5, 0.5, 0.5])
    writer.add_array("clip.vision.image_std", [0.5, 0.5, 0.5])

    n = spec.n_embd
    ones, zeros = np.ones(n, dtype=np.float32), np.zeros(n, dtype=np.float32)
    # numpy shapes are ggml's ne reversed: the patch convolution is ne = [p, p, 3, n_embd]
    def patch() -> np.ndarray:
        kernel = weight(n, 3 * spec.patch_size * spec.patch_size, scale=2.0)
        return kernel.reshape(n, 3, spec.patch_size, spec.patch_size).astype(np.float16)

    writer.add_tensor("v.patch_embd.weight", patch())
    if qwen:  # two convolutions (one a video frame each), rotary positions, no class token
        writer.add_tensor("v.patch_embd.weight.1", patch())
    else:
        writer.add_tensor("v.class_embd", weight(n, scale=np.sqrt(n)))
        writer.add_tensor("v.position_embd.weight", weight(n_patches + 1, n, scale=np.sqrt(n)))
        writer.add_tensor("v.pre_ln.weight", ones)
        writer.add_tensor("v.pre_ln.bias", zeros)
    for i in range(spec.n_layer):
        for name in ("attn_q", "attn_k", "attn_v", "attn_out"):
            writer.add_tensor(f"v.blk.{i}.{name}.weight", weight(n, n))
            writer.add_tensor(f"v.blk.{i}.{name}.bias", zeros)
        for name in ("ln1", "ln2"):
            writer.add_tensor(f"v.blk.{i}.{name}.weight", ones)
            writer.add_tensor(f"v.blk.{i}.{name}.bias", zeros)
        writer.add_tensor(f"v.blk.{i}.ffn_up.weight", weight(spec.n_ff, n))
        writer.add_tensor(f"v.blk.{i}.ffn_up.bias", np.zeros(spec.n_ff, dtype=np.float32))
        writer.add_tensor(f"v.blk.{i}.ffn_down.weight", weight(n, spec.n_ff))
        writer.add_tensor(f"v.blk.{i}.ffn_down.bias", zeros)
    text = spec.n_embd_text
    merged = 4 * n if qwen else n  # Qwen2-VL's merger reads 2x2 patches at once
    if qwen:
        writer.add_tensor("v.post_ln.weight", ones)
        writer.add_tensor("v.post_ln.bias", zeros)
    writer.add_tensor("mm.0.weight", weight(text, merged, scale=2.0))
    writer.add_tensor("mm.0.bias", np.zeros(text, dtype=np.float32))
    writer.add_tensor("mm.2.weight", weight(text, text, scale=np.sqrt(text)))
    writer.add_tensor("mm.2.bias", np.zeros(text, dtype=np.float32))
    _finish(writer)
    return path


def synthetic_projector_path(spec: ProjectorSpec | None = None, **model_overrides: Any) -> Path:
    """A cached random projector matched to ``synthetic_model_path(**model_overrides)`` (its ``n_embd``).

    Example::

        >>> from llama_native import Llama
        >>> from llama_native.testing import synthetic_model_path, synthetic_projector_path
        >>> llm = Llama(str(synthetic_model_path()), mmproj_path=str(synthetic_projector_path()), n_ctx=256)
        >>> llm.supports_images
        True
    """
    model = ModelSpec(**model_overrides)
    spec = spec or ProjectorSpec(n_embd_text=model.n_embd)
    return _cached_file(f"mmproj-{spec.n_embd_text}", asdict(spec), lambda tmp: write_projector(tmp, spec))
