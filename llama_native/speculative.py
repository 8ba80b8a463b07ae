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


LlamaPromptLookupDecoding = PromptLookupDecoding
