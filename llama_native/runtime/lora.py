"""LoRA adapters on a ``Llama``: loading by path, scales, switching between calls.

llama.cpp applies adapters at decode time (``llama_set_adapters_lora``), so
switching costs nothing but the KV cache, which is cleared because it was
computed with other weights.  Adapters are loaded once per path and kept
for the model's lifetime.

Example::

    >>> from llama_native import Llama
    >>> from llama_native.testing import synthetic_model_path, synthetic_lora_path
    >>> llm = Llama(str(synthetic_model_path()), n_ctx=64, lora_path=str(synthetic_lora_path()))
    >>> [(path.endswith(".gguf"), scale) for path, scale in llm.loras]
    [(True, 1.0)]
    >>> llm.set_lora(None); llm.loras
    []
"""

from __future__ import annotations

import os
from typing import Any

from .. import _native
from ..request.sampling import finite

#: A path, a list of paths, or a list of ``(path, scale)`` pairs; ``None``: no adapter.
LoraSpec = Any  # None | str | PathLike | Sequence[str | PathLike | tuple[str | PathLike, float]]


def normalize_loras(spec: LoraSpec, scale: float = 1.0) -> list[tuple[str, float]]:
    """``(path, scale)`` pairs from a :data:`LoraSpec`; a bare path takes ``scale``."""
    if spec is None:
        return []
    items = [spec] if isinstance(spec, (str, os.PathLike)) else list(spec)
    out = []
    for item in items:
        if isinstance(item, tuple):
            if len(item) != 2:
                raise ValueError(f"a LoRA entry must be a path or (path, scale), got {item!r}")
            path, item_scale = item
        else:
            path, item_scale = item, scale
        if not isinstance(path, (str, os.PathLike)):
            raise ValueError(f"a LoRA path must be a string, got {path!r}")
        item_scale = finite("lora_scale", item_scale)
        path = os.fspath(path)
        if not os.path.isfile(path):
            raise ValueError(f"LoRA adapter file not found: '{path}'")
        out.append((path, item_scale))
    return out


class LoraAdapters:
    """The adapters loaded for one model and those active on its context."""

    def __init__(self, model: _native.Model) -> None:
        self._model = model
        self._loaded: dict[str, _native.LoraAdapter] = {}
        self.active: list[tuple[str, float]] = []

    def apply(self, context: _native.Context | None, loras: list[tuple[str, float]]) -> None:
        """Load what is new and make ``loras`` the context's adapters (the KV cache is cleared on change)."""
        adapters = []
        for path, scale in loras:
            if path not in self._loaded:
                try:
                    self._loaded[path] = _native.LoraAdapter(self._model, path)
                except ValueError as exc:
                    raise ValueError(f"{exc} (is it a LoRA GGUF made for this model?)") from None
            adapters.append((self._loaded[path], scale))
        if context is not None:
            context.set_loras(adapters)
        self.active = list(loras)
