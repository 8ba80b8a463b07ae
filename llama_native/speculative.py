"""Speculative decoding by prompt lookup (n-gram drafts verified in one batch).

Extraction and editing copy long spans of the prompt into the output.  When
the last few tokens already occurred earlier in the prompt or the output, the
tokens that followed them are a good guess for what comes next: they are
decoded together with the current token in one batch, and each position's
sample is checked against the guess.  Every token still comes from the
sampler (with its grammar), so under greedy decoding the output is identical
to token-by-token decoding; the drafting and verification run natively.

Example::

    >>> from llama_native import Llama, PromptLookupDecoding
    >>> from llama_native.testing import synthetic_model_path
    >>> llm = Llama(str(synthetic_model_path()), n_ctx=256, draft_model=PromptLookupDecoding(num_pred_tokens=8))
    >>> plain = Llama(str(synthetic_model_path()), n_ctx=256)
    >>> a = llm("a b c a b c a b", max_tokens=20, temperature=0)["choices"][0]["text"]
    >>> a == plain("a b c a b c a b", max_tokens=20, temperature=0)["choices"][0]["text"]
    True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True)
class PromptLookupDecoding:
    """Draft up to ``num_pred_tokens`` tokens after an earlier match of the last ``max_ngram_size`` tokens.

    Pass it as ``Llama(..., draft_model=PromptLookupDecoding(...))`` (the name
    ``LlamaPromptLookupDecoding`` from llama-cpp-python also works).
    """

    max_ngram_size: int = 2
    num_pred_tokens: int = 10

    def __post_init__(self) -> None:
        for name in ("max_ngram_size", "num_pred_tokens"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")

    @staticmethod
    def find_candidate_pred_tokens(
        input_ids: npt.NDArray[np.intc], max_ngram_size: int, num_pred_tokens: int
    ) -> npt.NDArray[np.intc]:
        """The draft after the latest n-gram's first earlier match, as llama-cpp-python computes it.

        (Based on https://github.com/apoorvumang/prompt-lookup-decoding, as llama-cpp-python's.)

        Example::

            >>> import numpy as np
            >>> PromptLookupDecoding.find_candidate_pred_tokens(np.array([1, 2, 3, 4, 1, 2], dtype=np.intc), 2, 3)
            array([3, 4, 1], dtype=int32)
        """
        input_length = input_ids.shape[0]
        for ngram_size in range(min(max_ngram_size, input_length - 1), 0, -1):
            windows = np.lib.stride_tricks.sliding_window_view(input_ids, (ngram_size,))
            matches = np.all(windows == input_ids[-ngram_size:], axis=1)
            for idx in np.nonzero(matches)[0]:
                start_idx = int(idx) + ngram_size
                end_idx = min(start_idx + num_pred_tokens, input_length)
                if start_idx < end_idx:
                    return input_ids[start_idx:end_idx]
        return np.array([], dtype=np.intc)

    def __call__(self, input_ids: npt.NDArray[np.intc], /, **kwargs: Any) -> npt.NDArray[np.intc]:
        """The draft for ``input_ids`` (llama-cpp-python's ``LlamaDraftModel`` call; the native loop drafts itself)."""
        return self.find_candidate_pred_tokens(input_ids, self.max_ngram_size, self.num_pred_tokens)


LlamaPromptLookupDecoding = PromptLookupDecoding
