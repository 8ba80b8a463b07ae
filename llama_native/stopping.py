"""llama-cpp-python's logits processors and stopping criteria: ``LogitsProcessorList``, ``StoppingCriteriaList``, ...

A processor is ``f(input_ids, scores) -> scores`` and a criterion
``f(input_ids, scores) -> bool`` over numpy arrays (``int32`` token ids: the
prompt and the tokens so far; ``float32`` logits of the position).  The
native token loop calls them at every step only when given one, so a
generation without them never enters Python.

Example::

    >>> import numpy as np
    >>> from llama_native import Llama, LogitsProcessorList, StoppingCriteriaList
    >>> from llama_native.testing import synthetic_model_path
    >>> llm = Llama(str(synthetic_model_path()), n_ctx=128)
    >>> def only_token_100(input_ids, scores):
    ...     out = np.full_like(scores, -np.inf); out[100] = 0.0; return out
    >>> def three_tokens(input_ids, scores):
    ...     return len(input_ids) >= 3 + len(llm.tokenize(b"hi"))
    >>> out = llm("hi", max_tokens=10, logits_processor=LogitsProcessorList([only_token_100]),
    ...           stopping_criteria=StoppingCriteriaList([three_tokens]))
    >>> out["usage"]["completion_tokens"], set(out["choices"][0]["text"]) == set(llm.detokenize([100]).decode())
    (3, True)
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

LogitsProcessor = Callable[[npt.NDArray[np.intc], npt.NDArray[np.single]], npt.NDArray[np.single]]
StoppingCriteria = Callable[[npt.NDArray[np.intc], npt.NDArray[np.single]], bool]


class LogitsProcessorList(list[LogitsProcessor]):
    """Processors applied in order, each to the previous one's scores."""

    def __call__(self, input_ids: npt.NDArray[np.intc], scores: npt.NDArray[np.single]) -> npt.NDArray[np.single]:
        """The scores after every processor."""
        for processor in self:
            scores = processor(input_ids, scores)
        return scores


class StoppingCriteriaList(list[StoppingCriteria]):
    """Stop when any criterion says so."""

    def __call__(self, input_ids: npt.NDArray[np.intc], logits: npt.NDArray[np.single]) -> bool:
        """True when a criterion is met."""
        return any([criterion(input_ids, logits) for criterion in self])


class MinTokensLogitsProcessor:
    """Ban ``token_eos`` until ``min_tokens`` tokens have been generated."""

    def __init__(self, min_tokens: int, token_eos: int) -> None:
        self.min_tokens = min_tokens
        self.token_eos = token_eos
        self.prompt_tokens: int | None = None

    def __call__(self, input_ids: npt.NDArray[np.intc], scores: npt.NDArray[np.single]) -> npt.NDArray[np.single]:
        """``scores`` with the end token banned while too few tokens have been generated."""
        if self.prompt_tokens is None:
            self.prompt_tokens = len(input_ids)
        if len(input_ids) - self.prompt_tokens < self.min_tokens:
            scores[self.token_eos] = -np.inf
        return scores


__all__ = [
    "LogitsProcessor",
    "LogitsProcessorList",
    "StoppingCriteria",
    "StoppingCriteriaList",
    "MinTokensLogitsProcessor",
]
