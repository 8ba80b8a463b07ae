"""Log-probabilities in OpenAI's shapes, from the token loop's per-token entries.

The native loop gives, for each generated token, ``(token, logprob, top)``
where ``top`` is the ``n`` most likely ``(token, logprob)`` at that position
(log-softmax of the model's logits, as llama-cpp-python computes them).
This module turns them into the legacy completion shape (``tokens``,
``text_offset``, ``token_logprobs``, ``top_logprobs``) or the chat shape
(``content: [{token, logprob, bytes, top_logprobs}]``), or llama-server's
``completion_probabilities`` (``"llama"``: the chat shape with each token's ``id``).

Tokens of a stop string are never part of the text, so their entries are
dropped: an entry is kept once the text sent so far reaches past its
start.  Streamed chunks therefore carry exactly the entries of the
non-streamed result, in the same order.

Example::

    >>> from llama_native import Llama
    >>> from llama_native.testing import synthetic_model_path
    >>> llm = Llama(str(synthetic_model_path()), n_ctx=128)
    >>> out = llm.create_completion("Hello", max_tokens=3, logprobs=2, temperature=0)
    >>> lp = out["choices"][0]["logprobs"]
    >>> len(lp["tokens"]) == out["usage"]["completion_tokens"], all(x <= 0 for x in lp["token_logprobs"])
    (True, True)
"""

from __future__ import annotations

import codecs
from collections.abc import Sequence
from typing import Any

from .. import _native

Entry = tuple[int, float, list[tuple[int, float]]]


class LogprobsBuilder:
    """Collects a generation's entries and hands out those whose text has been sent.

    ``shape`` is ``"completion"``, ``"chat"`` or ``"llama"``; ``offset`` is where the
    generated text starts in the returned text (the echoed prompt's length).
    """

    def __init__(self, model: _native.Model, shape: str, offset: int = 0) -> None:
        self._model = model
        self._chat = shape in ("chat", "llama")
        self._ids = shape == "llama"
        self._held: list[tuple[int, Entry]] = []  # (start offset in the generated text, entry)
        self._decoder = codecs.getincrementaldecoder("utf-8")("ignore")  # pieces may split a character
        self._chars = 0  # characters of the generated text so far
        self._offset = offset

    def feed(self, entries: Sequence[Entry], sent_chars: int) -> Any:
        """Take the entries of a chunk; the entries whose text starts before ``sent_chars`` go out (shaped)."""
        for entry in entries:
            self._held.append((self._chars, entry))
            self._chars += len(self._decoder.decode(self._model.token_to_piece(entry[0], False)))
        ready = [item for item in self._held if item[0] < sent_chars]
        self._held = self._held[len(ready) :]
        return self.shape(ready)

    def shape(self, items: list[tuple[int, Entry]]) -> Any:
        """Entries in the requested OpenAI shape (None when there are none in the completion shape)."""
        if self._chat:
            return [self._chat_entry(entry) for _, entry in items]
        return {
            "tokens": [self._text(e[0]) for _, e in items],
            "text_offset": [self._offset + start for start, _ in items],
            "token_logprobs": [e[1] for _, e in items],
            "top_logprobs": [self._top_dict(e) for _, e in items],
        }

    def _text(self, token: int) -> str:
        return self._model.token_to_piece(token, False).decode("utf-8", "replace")

    def _top_dict(self, entry: Entry) -> dict[str, float]:
        top: dict[str, float] = {}
        for t, lp in entry[2]:
            top.setdefault(self._text(t), lp)  # most likely first: tokens of the same text keep the higher
        top[self._text(entry[0])] = entry[1]  # the chosen token is always listed with its own, as llama-cpp-python
        return top

    def _chat_entry(self, entry: Entry) -> dict[str, Any]:
        def item(token: int, logprob: float) -> dict[str, Any]:
            raw = self._model.token_to_piece(token, False)
            text = raw.decode("utf-8", "replace")
            if self._ids:  # llama-server's completion_probabilities
                return {"id": token, "token": text, "bytes": list(raw), "logprob": logprob}
            return {"token": text, "logprob": logprob, "bytes": list(raw)}

        out = item(entry[0], entry[1])
        out["top_logprobs"] = [item(t, lp) for t, lp in entry[2]]
        return out


def log_softmax(logits: Any, axis: int = -1) -> Any:
    """Log-probabilities from logits along ``axis`` (a float32 numpy array)."""
    import numpy as np

    values = np.asarray(logits, dtype=np.float32)
    shifted = values - values.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def merge(parts: Sequence[Any]) -> Any:
    """Concatenate completion-shaped logprobs objects (or chat content lists)."""
    parts = [p for p in parts if p is not None]
    if not parts:
        return None
    if isinstance(parts[0], list):
        return [x for p in parts for x in p]
    return {
        key: [x for p in parts for x in p[key]] for key in ("tokens", "text_offset", "token_logprobs", "top_logprobs")
    }


def prompt_logprobs(model: _native.Model, rows: Any, prompt_tokens: Sequence[int], n_top: int) -> dict[str, Any]:
    """Completion-shaped logprobs of the prompt tokens (``echo=True``), from the logits at every position.

    The first token has no logprob (``None``), as in llama-cpp-python and OpenAI.
    """
    import numpy as np

    builder = LogprobsBuilder(model, "completion")
    logp = log_softmax(rows)
    entries: list[Entry] = []
    for i, token in enumerate(prompt_tokens):
        if i == 0:
            entries.append((int(token), float("nan"), []))
            continue
        row = logp[i - 1]
        top: Any = np.argsort(-row, kind="stable")[:n_top] if n_top > 0 else []
        entries.append((int(token), float(row[token]), [(int(t), float(row[t])) for t in top]))
    out = builder.feed(entries, 1 << 62)
    out["token_logprobs"][0] = None
    out["top_logprobs"][0] = None
    return out
