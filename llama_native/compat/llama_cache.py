"""llama-cpp-python's ``llama_cpp.llama_cache`` names (the caches live in :mod:`llama_native.cache`).

Example::

    >>> from llama_native.llama_cache import LlamaRAMCache
    >>> LlamaRAMCache(capacity_bytes=1 << 20).cache_size
    0
"""

from __future__ import annotations

from ..cache import BaseLlamaCache, LlamaCache, LlamaDiskCache, LlamaRAMCache, LlamaState

__all__ = ["BaseLlamaCache", "LlamaCache", "LlamaDiskCache", "LlamaRAMCache", "LlamaState"]
