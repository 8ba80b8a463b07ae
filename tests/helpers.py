"""Shared test helpers: which models the tests run on, and small utilities.

Imported as ``helpers`` (``tests/`` is on the path through pytest's
``pythonpath`` setting); fixtures live in ``conftest.py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from llama_native import Llama
from llama_native.testing import REAL_TOKENIZERS, env_model_path, real_tokenizer_model_path, synthetic_model_path

#: the repository's root (notebooks/, training/, bench/ live there)
REPO = Path(__file__).resolve().parents[1]

ENV_MODEL = env_model_path()
MODEL_KINDS = ["env"] if ENV_MODEL else ["synthetic", *REAL_TOKENIZERS]

NEEDS_LANGUAGE = "needs a model that understands language (random weights here; must pass with LLAMA_NATIVE_TEST_MODEL)"


def model_path_for(kind: str) -> Path:
    """The model of one kind: the env model, the synthetic one, or a real tokenizer's."""
    if kind == "env":
        assert ENV_MODEL is not None
        return ENV_MODEL
    if kind == "synthetic":
        return synthetic_model_path()
    return real_tokenizer_model_path(kind)


def no_eog_bias(llm: Llama) -> dict:
    """A logit_bias that forbids every end-of-generation token (forces max_tokens)."""
    return {t: float("-inf") for t in llm.eog_tokens()}


class ForceText:
    """A ``logits_processor`` that makes the model write ``text`` first (its tokens in turn), then leaves it free.

    Random weights rarely open a tool call under ``tool_choice="auto"``; this
    opens one (``"<tool_call>\\n"`` in the Hermes syntax of the Qwen2 test
    model) so that a small ``max_tokens`` cuts the reply inside it.  One
    instance per request: it counts from the first position it sees.
    """

    def __init__(self, llm: Llama, text: str) -> None:
        self.tokens = llm.tokenize(text.encode(), add_bos=False, special=True)
        self.start: int | None = None

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        import numpy as np

        if self.start is None:
            self.start = len(input_ids)
        step = len(input_ids) - self.start
        if step < len(self.tokens):
            scores = np.full_like(scores, -np.inf)
            scores[self.tokens[step]] = 0.0
        return scores
