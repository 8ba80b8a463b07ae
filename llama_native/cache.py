"""Prompt caches: KV states of earlier prompts, kept across calls (llama-cpp-python's API).

The context itself always reuses the longest prefix it still holds, so a
call that repeats the previous call's prompt prefix is cheap anyway.  A cache
keeps more than the last one: after each generation the state of the
sequence (its KV cells for prompt + completion) is stored under its tokens;
before the next, the stored state sharing the longest prefix with the new
prompt is restored when it beats what the context holds.  Repeated
extractions with one long system prompt then skip that prompt's evaluation
even when other prompts ran in between.

``LlamaRAMCache`` keeps states in memory, ``LlamaDiskCache`` in a directory
(through the ``diskcache`` package, as llama-cpp-python does); both evict the
least recently used states beyond ``capacity_bytes``.  Caches apply to
single-sequence models (``n_parallel=1``); a parallel context keeps each
sequence's tokens for the next request instead.

Example::

    >>> from llama_native import Llama, LlamaRAMCache
    >>> from llama_native.testing import synthetic_model_path
    >>> llm = Llama(str(synthetic_model_path()), n_ctx=256)
    >>> llm.set_cache(LlamaRAMCache(capacity_bytes=64 << 20))
    >>> _ = llm.create_completion("The same long instructions. Question one?", max_tokens=4)
    >>> _ = llm.create_completion("Something else entirely", max_tokens=4)
    >>> _ = llm.create_completion("The same long instructions. Question two?", max_tokens=4)
    >>> llm.last_generation_stats["cached_tokens"] > 5
    True
"""

from __future__ import annotations

import os
import sqlite3
import threading
import warnings
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["BaseLlamaCache", "LlamaCache", "LlamaDiskCache", "LlamaRAMCache", "LlamaState"]


@dataclass(frozen=True, eq=False)
class LlamaState:
    """A saved sequence: its tokens and llama.cpp's state bytes for them (``Llama.save_state``, caches).

    llama-cpp-python's attribute names read the same fields: ``input_ids``,
    ``n_tokens``, ``llama_state``, ``llama_state_size``, ``scores``, ``seed``.
    """

    tokens: tuple[int, ...]
    data: bytes
    seed: int | None = None
    scores: Any = None  # the last evaluated position's logits (numpy), when known

    @property
    def size(self) -> int:
        """Bytes held by the saved states."""
        return len(self.data)

    @property
    def input_ids(self) -> Any:
        """The tokens as a numpy int32 array."""
        import numpy as np

        return np.asarray(self.tokens, dtype=np.intc)

    @property
    def n_tokens(self) -> int:
        """Number of tokens."""
        return len(self.tokens)

    @property
    def llama_state(self) -> bytes:
        """llama.cpp's state bytes."""
        return self.data

    @property
    def llama_state_size(self) -> int:
        """Size of llama.cpp's state bytes."""
        return len(self.data)


def common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    """Length of the longest common prefix of two token sequences."""
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


class BaseLlamaCache:
    """A bounded map from token sequences to saved states."""

    def __init__(self, capacity_bytes: int = 2 << 30) -> None:
        if not isinstance(capacity_bytes, int) or capacity_bytes <= 0:
            raise ValueError(f"capacity_bytes must be a positive integer, got {capacity_bytes!r}")
        self.capacity_bytes = capacity_bytes
        self._lock = threading.Lock()

    @property
    def cache_size(self) -> int:
        """Bytes held."""
        raise NotImplementedError

    def _keys(self) -> Sequence[tuple[int, ...]]:
        raise NotImplementedError

    def _get(self, key: tuple[int, ...]) -> LlamaState | None:
        raise NotImplementedError

    def _put(self, state: LlamaState) -> None:
        raise NotImplementedError

    def lookup(self, tokens: Sequence[int]) -> tuple[int, LlamaState | None]:
        """The stored state sharing the longest prefix with ``tokens``, and that length."""
        with self._lock:
            best_key, best = None, 0
            for key in self._keys():
                n = common_prefix(key, tokens)
                if n > best:
                    best_key, best = key, n
            if best_key is None:
                return 0, None
            return best, self._get(best_key)

    def store(self, state: LlamaState) -> None:
        """Keep ``state`` (replacing one with the same tokens), evicting the least recently used."""
        if state.size > self.capacity_bytes:
            return
        with self._lock:
            self._put(state)

    def __getitem__(self, tokens: Sequence[int]) -> LlamaState:
        """The state sharing the longest prefix with ``tokens`` (``KeyError`` if none does), as llama-cpp-python."""
        found, state = self.lookup(tokens)
        if state is None:
            raise KeyError("no cached state shares a prefix with these tokens")
        return state

    def __setitem__(self, tokens: Sequence[int], state: LlamaState) -> None:
        """Store ``state`` under ``tokens``."""
        if not isinstance(state, LlamaState):
            raise TypeError(f"a cache holds LlamaState values, not {type(state).__name__}")
        self.store(LlamaState(tuple(int(t) for t in tokens), state.data, state.seed, state.scores))

    def __contains__(self, tokens: Sequence[int]) -> bool:
        with self._lock:
            return tuple(tokens) in set(self._keys())

    def __len__(self) -> int:
        with self._lock:
            return len(self._keys())


class LlamaRAMCache(BaseLlamaCache):
    """States in memory, at most ``capacity_bytes`` in all (least recently used evicted)."""

    def __init__(self, capacity_bytes: int = 2 << 30) -> None:
        super().__init__(capacity_bytes)
        self._states: OrderedDict[tuple[int, ...], LlamaState] = OrderedDict()
        self._size = 0

    @property
    def cache_size(self) -> int:
        """Bytes held by the saved states (llama-cpp-python's name)."""
        return self._size

    def _keys(self) -> Sequence[tuple[int, ...]]:
        return list(self._states)

    def _get(self, key: tuple[int, ...]) -> LlamaState | None:
        state = self._states.get(key)
        if state is not None:
            self._states.move_to_end(key)
        return state

    def _put(self, state: LlamaState) -> None:
        old = self._states.pop(state.tokens, None)
        if old is not None:
            self._size -= old.size
        self._states[state.tokens] = state
        self._size += state.size
        while self._size > self.capacity_bytes and self._states:
            _, evicted = self._states.popitem(last=False)
            self._size -= evicted.size


#: llama-cpp-python's old name for the in-memory cache
LlamaCache = LlamaRAMCache


class LlamaDiskCache(BaseLlamaCache):
    """States in a directory (``diskcache``), at most ``capacity_bytes``; they survive restarts."""

    def __init__(self, cache_dir: str = ".cache/llama_native", capacity_bytes: int = 2 << 30) -> None:
        super().__init__(capacity_bytes)
        try:
            import diskcache
        except ImportError:
            raise ImportError(
                "LlamaDiskCache needs the diskcache package: pip install 'llama-native[disk-cache]'"
            ) from None
        os.makedirs(cache_dir, exist_ok=True)
        self.cache_dir = cache_dir
        self._cache = diskcache.Cache(cache_dir, size_limit=capacity_bytes, eviction_policy="least-recently-used")

    @property
    def cache_size(self) -> int:
        """Bytes held by the saved states (llama-cpp-python's name)."""
        return int(self._cache.volume())

    def _keys(self) -> Sequence[tuple[int, ...]]:
        try:
            return list(self._cache.iterkeys())
        except (OSError, sqlite3.Error) as exc:
            self._warn("list the states in", exc)
            return []

    def _get(self, key: tuple[int, ...]) -> LlamaState | None:
        try:
            data = self._cache.get(key)
        except (OSError, sqlite3.Error) as exc:
            self._warn("read a state from", exc)
            return None
        return None if data is None else LlamaState(key, data)

    def _put(self, state: LlamaState) -> None:
        try:
            self._cache.set(state.tokens, state.data)
            self._cache.cull()
        except (OSError, sqlite3.Error) as exc:  # a full disk, a read-only or vanished directory
            self._warn("store a state in", exc)

    def _warn(self, action: str, exc: BaseException) -> None:
        """A failing disk costs the cache, never the answer: warn (``RuntimeWarning``) and go on."""
        warnings.warn(
            f"LlamaDiskCache could not {action} '{self.cache_dir}': {exc}; the completion is unaffected "
            "(it is only not cached)",
            RuntimeWarning,
            stacklevel=2,
        )
