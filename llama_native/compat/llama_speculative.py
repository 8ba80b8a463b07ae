"""llama-cpp-python's ``llama_cpp.llama_speculative`` names: ``LlamaDraftModel``, ``LlamaPromptLookupDecoding``.

Prompt lookup runs inside the native token loop (:mod:`llama_native.speculative`);
a Python ``LlamaDraftModel`` subclass of your own is refused by ``Llama``
(a draft called from Python at every step would cost more than it saves here).

Example::

    >>> from llama_native.llama_speculative import LlamaDraftModel, LlamaPromptLookupDecoding
    >>> isinstance(LlamaPromptLookupDecoding(num_pred_tokens=4), LlamaDraftModel)
    True
"""

from __future__ import annotations

import abc
from typing import Any

from ..speculative import LlamaPromptLookupDecoding, PromptLookupDecoding


class LlamaDraftModel(abc.ABC):
    """A draft model: ``draft(input_ids) -> proposed next token ids`` (llama-cpp-python's interface)."""

    @abc.abstractmethod
    def __call__(self, input_ids: Any, /, **kwargs: Any) -> Any:
        """Proposed continuation of ``input_ids`` (a numpy int array)."""


LlamaDraftModel.register(PromptLookupDecoding)

__all__ = ["LlamaDraftModel", "LlamaPromptLookupDecoding", "PromptLookupDecoding"]
