"""One loaded model per (file, load parameters), shared by everything that asks for it.

The LangChain and LlamaIndex classes are cheap objects that users create many
of (one per chain, per ``bind_tools``, per test); each loaded GGUF costs its
weights in memory and a context.  :func:`shared_llama` hands every caller
asking for the same file with the same parameters the same :class:`Llama`,
loaded once, and lets it go when the last holder drops it.  Calls on a shared
``Llama`` are safe from any thread; they take turns on its context.

Example::

    >>> from llama_native.model_pool import shared_llama
    >>> from llama_native.testing import synthetic_model_path
    >>> a = shared_llama(synthetic_model_path(), n_ctx=128)
    >>> b = shared_llama(str(synthetic_model_path()), n_ctx=128)
    >>> c = shared_llama(synthetic_model_path(), n_ctx=256)
    >>> a is b, a is c
    (True, False)
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Hashable
from typing import Any, cast

from .llama import Llama

_lock = threading.Lock()
_loaded: weakref.WeakValueDictionary[tuple[Hashable, ...], Llama] = weakref.WeakValueDictionary()


def _frozen(value: Any) -> Hashable:
    if isinstance(value, dict):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(_frozen(v) for v in value)
    try:
        hash(value)
    except TypeError:
        return ("id", id(value))
    return value


def _file_identity(model_path: str) -> tuple[Hashable, ...]:
    """The file's real path plus its size and mtime, so a replaced file is loaded anew."""
    real = os.path.realpath(model_path)
    try:
        st = os.stat(real)
    except OSError:
        return (real,)  # Llama() raises the clear error
    return (real, st.st_size, st.st_mtime_ns)


def shared_llama(model_path: str | os.PathLike[str], **params: Any) -> Llama:
    """The loaded :class:`Llama` for ``model_path`` and ``params`` (loading it on first use).

    ``params`` are :class:`Llama`'s keyword arguments; two calls share a model
    only when their files and parameters are the same.
    """
    path = os.fspath(model_path)
    return cast(Llama, _shared(_loaded, (_file_identity(path), _frozen(params)), lambda: Llama(path, **params)))


def loaded_models() -> dict[str, int]:
    """How many shared models are loaded, by file (for tests and diagnostics)."""
    counts: dict[str, int] = {}
    with _lock:
        for key in list(_loaded.keys()):
            path = cast(tuple[str, ...], key[0])[0]  # the file identity: (real path, size, mtime)
            counts[path] = counts.get(path, 0) + 1
    return counts


_remotes: weakref.WeakValueDictionary[tuple[Hashable, ...], Any] = weakref.WeakValueDictionary()


def shared_remote(base_url: str | list[str], **params: Any) -> Any:
    """The :class:`llama_native.remote.RemoteLlama` for ``base_url`` and ``params`` (one per fleet).

    Everything pointing at the same servers with the same settings shares one
    client, so its in-flight counts and health marks cover all of this
    process's requests to them.
    """
    from .remote import RemoteLlama

    return _shared(_remotes, (_frozen(base_url), _frozen(params)), lambda: RemoteLlama(base_url, **params))


def shared_client(
    base_url: str | list[str] | None, model_path: str | None, api_key: str | None = None, **load: Any
) -> Any:
    """The servers' shared ``RemoteLlama`` when ``base_url`` is given, else the shared local ``Llama``.

    ``load``: the local model's ``Llama`` arguments.  ``ValueError`` when neither
    a ``base_url`` nor a ``model_path`` is given.

    Example::

        >>> shared_client(None, None)
        Traceback (most recent call last):
        ...
        ValueError: no model: pass model_path=... or set $LLAMA_NATIVE_MODEL_PATH to a .gguf file
    """
    if base_url:
        return shared_remote(base_url, model=model_path, api_key=api_key)
    if model_path is None:
        from .default_model import MODEL_PATH_ENV

        raise ValueError(f"no model: pass model_path=... or set ${MODEL_PATH_ENV} to a .gguf file")
    return shared_llama(model_path, **load)


def _shared(cache: weakref.WeakValueDictionary, key: tuple[Hashable, ...], make: Any) -> Any:
    """``cache[key]``, made by ``make()`` when absent (under the pool's lock)."""
    with _lock:
        found = cache.get(key)
        if found is None:
            found = make()
            cache[key] = found
        return found
