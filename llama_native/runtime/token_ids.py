"""``Llama.input_ids``: the evaluated tokens as a list that also answers numpy's array API.

llama-cpp-python's ``input_ids`` is a numpy ``intc`` array (code calls
``llm.input_ids[:n].tolist()``, ``.shape``, ``np.asarray``), while code
written for llama-native compares it with a list (``llm.input_ids == ids``).
:class:`TokenIds` is both: a ``list`` of ints (equality, ``+``, ``len``) whose
slices stay :class:`TokenIds`, with ``tolist``, ``dtype`` (``intc``, as
there), ``shape``, ``ndim``, ``size`` and ``__array__``.  Its length is the
number of evaluated tokens (``n_tokens``); llama-cpp-python's array is
``n_ctx`` long with stale entries after ``n_tokens``.

Example::

    >>> import numpy as np
    >>> ids = TokenIds([1, 2, 3])
    >>> ids[:2].tolist(), ids == [1, 2, 3], np.asarray(ids).dtype == np.intc
    ([1, 2], True, True)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, SupportsIndex, overload

import numpy as np
import numpy.typing as npt


class TokenIds(list[int]):
    """A list of token ids with numpy's array API (see the module)."""

    def __init__(self, ids: Iterable[int] = ()) -> None:
        """The ids, as ints."""
        super().__init__(int(t) for t in ids)

    @overload
    def __getitem__(self, index: SupportsIndex) -> int: ...

    @overload
    def __getitem__(self, index: slice) -> TokenIds: ...

    def __getitem__(self, index: SupportsIndex | slice) -> int | TokenIds:
        """An id, or a slice as :class:`TokenIds`."""
        if isinstance(index, slice):
            return TokenIds(super().__getitem__(index))
        return super().__getitem__(index)

    def tolist(self) -> list[int]:
        """The ids as a plain list (numpy's ``tolist``)."""
        return list(self)

    def __array__(self, dtype: Any = None, copy: Any = None) -> npt.NDArray[Any]:
        """The ids as a numpy ``intc`` array."""
        return np.array(list(self), dtype=dtype or np.intc)

    @property
    def dtype(self) -> np.dtype[Any]:
        """``intc``, as llama-cpp-python's array."""
        return np.dtype(np.intc)

    @property
    def shape(self) -> tuple[int]:
        """``(len(self),)``."""
        return (len(self),)

    @property
    def ndim(self) -> int:
        """1."""
        return 1

    @property
    def size(self) -> int:
        """``len(self)``."""
        return len(self)
