"""The test models by purpose (synthetic, real-tokenizer, quantized, bench), each written once into the cache.

A model is cached under ``<llama-native cache>/test-models/`` by a hash of its
:class:`~llama_native.testing.writer.ModelSpec`, written to a temporary file
and moved into place, so concurrent test processes never see half a file.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ..llama_cpp_source import cache_dir
from .writer import ModelSpec, write_model


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
        from .. import _native

        _native.quantize(str(source), tmp, QUANT_TYPES[quant], 1)

    return _cached_file(f"{spec.tokenizer}-{spec.n_embd}x{spec.n_layer}-{quant}", {**_spec_key(spec), "quant": quant},
                        write)


def bench_model_path(quant: str | None = None) -> Path:
    """The benchmark model: llama-bpe tokenizer (128k vocabulary), 512 wide, 4 layers, F16 (or ``quant``)."""
    shape: dict[str, Any] = dict(tokenizer="llama-bpe", n_embd=512, n_layer=4, n_head=8, n_head_kv=8, n_ff=1536)
    if quant is not None:
        return quantized_model_path(quant, **shape)
    return cached_model_path(ModelSpec(**shape, f16=True))
