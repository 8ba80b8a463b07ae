"""llama-cpp-python's low-level API on ``Llama``: ``eval``, ``sample``, ``generate`` and their state.

``eval(tokens)`` appends tokens to the context and keeps their logits,
``sample()`` picks a token from the last evaluated position without
evaluating anything, and ``generate(tokens)`` yields tokens one at a time;
``input_ids``/``n_tokens`` and ``scores`` are what the context holds, as in
llama-cpp-python.  ``LowLevelAPI`` is a mixin of :class:`~llama_native.Llama`:
its methods use only what :class:`_Host` lists.

Example::

    >>> from llama_native import Llama
    >>> from llama_native.testing import synthetic_model_path
    >>> llm = Llama(str(synthetic_model_path()), n_ctx=64)
    >>> llm.eval(llm.tokenize(b"the quick"))
    >>> token = llm.sample(temp=0)
    >>> llm.n_tokens == len(llm.tokenize(b"the quick"))
    True
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol

import numpy as np

from .. import _native
from .._types import GrammarEngine
from ..cache import common_prefix
from ..grammar import LlamaGrammar, as_grammar
from ..request import SamplingOptions
from ..request.requests import check_max_tokens
from ..request.sampling import resolve_seed
from ..request.structure import engine_params
from .completion import generation_params
from .generation import run_token_loop
from .logprobs import log_softmax
from .threads import ActiveGenerations
from .token_ids import TokenIds


class _Host(Protocol):
    """What the low-level methods need of the model they are mixed into."""

    input_ids: list[int]
    _scores: list[np.ndarray]
    _score_table: np.ndarray | None
    context_params: Any
    logits_all: bool
    seed: int
    last_n_tokens_size: int
    grammar_engine: GrammarEngine
    _generations: ActiveGenerations
    _tokenizer_override: Any

    @property
    def _model(self) -> _native.Model: ...

    def _context(self) -> _native.Context: ...

    def n_vocab(self) -> int: ...

    def _prompt_tokens(self, prompt: str | bytes | Sequence[int], media: Any = None) -> list[int]: ...


class LowLevelAPI:
    """``eval``/``sample``/``generate``, ``input_ids``, ``n_tokens`` and ``scores`` (see the module)."""

    #: tokens evaluated by :meth:`eval` (llama-cpp-python's low-level state)
    input_ids: list[int]
    _scores: list[np.ndarray]
    #: under ``logits_all=True``: llama-cpp-python's ``(n_ctx, n_vocab)`` table that :attr:`scores` is
    _score_table: np.ndarray | None = None

    @property
    def n_tokens(self: _Host) -> int:
        """Tokens :meth:`eval` has put in the context (llama-cpp-python's ``n_tokens``)."""
        return len(self.input_ids)

    def cached_tokens(self: _Host) -> list[int]:
        """The tokens the KV cache holds for the next call to reuse (what :meth:`save_state` saves).

        One sequence's (``n_parallel=1``): the last call's prompt and completion, or :meth:`eval`'s tokens.

        Example::

            >>> from llama_native import Llama
            >>> from llama_native.testing import synthetic_model_path
            >>> llm = Llama(str(synthetic_model_path()), n_ctx=64)
            >>> llm.eval(llm.tokenize(b"hello")); llm.cached_tokens() == llm.tokenize(b"hello")
            True
        """
        return list(self._context().cached_tokens())

    @property
    def scores(self: _Host) -> np.ndarray:
        """Logits rows, float32: with ``logits_all=True`` llama-cpp-python's ``(n_ctx, n_vocab)`` array.

        With ``logits_all=True`` row ``i`` holds the logits after position
        ``i`` for every evaluated position (``scores[:n_tokens]``; the rows
        after are zeros or older values, as there); the array takes
        ``n_ctx * n_vocab`` floats, allocated on first use.  Without it, only
        the last evaluated position's row is kept: shape ``(1, n_vocab)``
        (llama-cpp-python's ``(n_batch, n_vocab)`` rows are then left
        unwritten).

        Example::

            >>> from llama_native import Llama
            >>> from llama_native.testing import synthetic_model_path
            >>> llm = Llama(str(synthetic_model_path()), n_ctx=64, logits_all=True)
            >>> llm.eval(llm.tokenize(b"the quick"))
            >>> llm.scores.shape == (64, llm.n_vocab()), llm.scores.dtype
            (True, dtype('float32'))
        """
        if self.logits_all:
            return _table(self)
        if not self._scores:
            return np.zeros((0, self.n_vocab()), dtype=np.float32)
        return np.stack(self._scores)

    def eval(self: _Host, tokens: Sequence[int]) -> None:
        """Append ``tokens`` to the context and decode them (prefix reuse: only new positions are computed)."""
        ids = self.input_ids + [int(t) for t in tokens]
        try:
            first, raw = self._context().eval(ids, self.logits_all)
        except (IndexError, ValueError) as exc:
            raise ValueError(str(exc)) from None
        rows = np.frombuffer(raw, dtype=np.float32).reshape(-1, self.n_vocab())
        if self.logits_all:  # rows live in llama-cpp-python's (n_ctx, n_vocab) table; _scores views them
            table = _table(self, first + len(rows))
            table[first : first + len(rows)] = rows
            self._scores = list(table[: first + len(rows)])
        else:
            self._scores = list(rows)
        self.input_ids = TokenIds(ids)

    def sample(
        self: _Host,
        top_k: int = 40,
        top_p: float = 0.95,
        min_p: float = 0.05,
        typical_p: float = 1.0,
        temp: float = 0.80,
        repeat_penalty: float = 1.0,
        frequency_penalty: float = 0.0,
        presence_penalty: float = 0.0,
        tfs_z: float = 1.0,
        mirostat_mode: int = 0,
        mirostat_eta: float = 0.1,
        mirostat_tau: float = 5.0,
        penalize_nl: bool = True,
        logits_processor: Callable[..., Any] | None = None,
        grammar: Any = None,
        idx: int | None = None,
    ) -> int:
        """One token sampled from the logits of the last evaluated position, as llama-cpp-python's ``sample``.

        Nothing is evaluated: the token is neither decoded nor added to
        :attr:`input_ids` (pass it to :meth:`eval` to continue).  Each call
        uses a fresh sampler, as llama-cpp-python does (the penalties see no
        history); ``idx`` picks another evaluated position when the context
        keeps every row (``logits_all=True``).  ``grammar`` is refused (a
        grammar's state spans tokens: use :meth:`generate` or
        :meth:`create_completion`).

        Example::

            >>> from llama_native import Llama
            >>> from llama_native.testing import synthetic_model_path
            >>> llm = Llama(str(synthetic_model_path()), n_ctx=64)
            >>> llm.eval(llm.tokenize(b"the quick"))
            >>> for _ in range(3):
            ...     llm.eval([llm.sample(temp=0)])
            >>> llm.n_tokens == len(llm.tokenize(b"the quick")) + 3
            True
        """
        if grammar is not None:
            raise NotImplementedError("sample(grammar=...): a grammar's state spans tokens; use generate(grammar=...)")
        if not penalize_nl:
            raise NotImplementedError("penalize_nl=False: llama.cpp's penalties no longer exempt the newline token")
        if not self.input_ids:
            raise ValueError("nothing evaluated yet: call eval(tokens) first")
        row = _scores_row(self, idx)
        if logits_processor is not None:
            row = np.asarray(logits_processor(np.asarray(self.input_ids, dtype=np.intc), row.copy()), dtype=np.float32)
            if row.shape != (self.n_vocab(),):
                raise ValueError(f"logits_processor must return {self.n_vocab()} logits, got shape {row.shape}")
        sampling = _low_level_sampling(self, _sampling_options(locals(), None), None)
        return int(_native.sample_logits(self._model, sampling, np.ascontiguousarray(row, np.float32).tobytes()))

    def generate(
        self: _Host,
        tokens: Sequence[int],
        top_k: int = 40,
        top_p: float = 0.95,
        min_p: float = 0.05,
        typical_p: float = 1.0,
        temp: float = 0.80,
        repeat_penalty: float = 1.0,
        reset: bool = True,
        frequency_penalty: float = 0.0,
        presence_penalty: float = 0.0,
        tfs_z: float = 1.0,
        mirostat_mode: int = 0,
        mirostat_tau: float = 5.0,
        mirostat_eta: float = 0.1,
        penalize_nl: bool = True,
        logits_processor: Callable[..., Any] | None = None,
        stopping_criteria: Callable[..., Any] | None = None,
        grammar: None | str | LlamaGrammar = None,
        seed: int | None = None,
        max_tokens: int | None = None,
    ) -> Iterator[int]:
        """Token ids sampled after ``tokens``, one at a time, as llama-cpp-python's ``generate``.

        ``reset=False`` appends ``tokens`` to what :meth:`eval` evaluated.
        The end-of-generation token is yielded last, then the iterator ends
        (so does a ``stopping_criteria`` that returns True).  Stop iterating
        at any time: the generation ends there.

        Example::

            >>> from llama_native import Llama
            >>> from llama_native.testing import synthetic_model_path
            >>> llm = Llama(str(synthetic_model_path()), n_ctx=64)
            >>> ids = []
            >>> for token in llm.generate(llm.tokenize(b"hello"), temp=0):
            ...     ids.append(token)
            ...     if len(ids) == 3:
            ...         break
            >>> len(ids)
            3
        """
        if not penalize_nl:
            raise NotImplementedError("penalize_nl=False: llama.cpp's penalties no longer exempt the newline token")
        prompt = ([] if reset else list(self.input_ids)) + [int(t) for t in tokens]
        prompt_tokens = self._prompt_tokens(prompt)
        sampling = _low_level_sampling(self, _sampling_options(locals(), seed), grammar)
        gen = generation_params(check_max_tokens(max_tokens), ())
        generated: list[int] = []
        ended: list[int] = []  # the end-of-generation token, when one ended it
        loop = run_token_loop(
            self._context(), self._generations, None, prompt_tokens, sampling, gen, None, None, False,
            lambda counters: None, logits_processor, stopping_criteria, on_end=ended.append,
        )  # fmt: skip
        self._scores = []
        try:
            for chunk in loop:
                for token in chunk.tokens:
                    # as in llama-cpp-python, input_ids holds what the context evaluated: the prompt and
                    # the tokens before this one (the loop decodes this one when asked for the next)
                    self.input_ids = TokenIds(prompt_tokens + generated)
                    generated.append(token)
                    yield token
            self.input_ids = TokenIds(prompt_tokens + generated)
            if ended and ended[0] >= 0:
                yield ended[0]
        finally:
            loop.close()

    def set_seed(self: _Host, seed: int) -> None:
        """The default seed of later calls (-1 or ``LLAMA_DEFAULT_SEED``: random each call)."""
        resolve_seed(seed, 0)  # validates
        self.seed = seed

    def pooling_type(self: _Host) -> int:
        """The context's pooling type (``LLAMA_POOLING_TYPE_*``)."""
        return self._context().pooling_type

    def tokenizer(self: _Host) -> Any:
        """A ``llama_tokenizer.LlamaTokenizer`` over this model (or the ``tokenizer`` given at load)."""
        from ..compat.llama_tokenizer import LlamaTokenizer

        return self._tokenizer_override or LlamaTokenizer(self)

    @staticmethod
    def logits_to_logprobs(logits: np.ndarray | Sequence[float], axis: int = -1) -> np.ndarray:
        """Log-softmax of ``logits`` along ``axis`` (float32)."""
        return log_softmax(logits, axis)

    @staticmethod
    def longest_token_prefix(a: Sequence[int], b: Sequence[int]) -> int:
        """Length of the longest common prefix of two token sequences."""
        return common_prefix(a, b)


#: the sampling arguments ``sample`` and ``generate`` share with ``SamplingOptions`` (``temp`` aside)
_SHARED_OPTIONS = (
    "top_k", "top_p", "min_p", "typical_p", "repeat_penalty", "presence_penalty", "frequency_penalty",
    "mirostat_mode", "mirostat_tau", "mirostat_eta", "tfs_z",
)  # fmt: skip


def _sampling_options(scope: dict[str, Any], seed: int | None) -> SamplingOptions:
    """``sample``'s or ``generate``'s sampling arguments (their ``locals()``) as options (llama-cpp-python's names)."""
    return SamplingOptions(temperature=scope["temp"], seed=seed, **{name: scope[name] for name in _SHARED_OPTIONS})


def _low_level_sampling(
    host: _Host, options: SamplingOptions, grammar: None | str | LlamaGrammar
) -> _native.SamplingParams:
    """The native sampling parameters of :meth:`sample` and :meth:`generate`."""
    sampling = options.to_native(
        seed=resolve_seed(options.seed, host.seed), penalty_last_n=host.last_n_tokens_size, n_vocab=host._model.n_vocab
    )
    engine_params(sampling, as_grammar(grammar), host.grammar_engine)
    return sampling


def _table(host: _Host, rows: int = 0) -> np.ndarray:
    """The float32 table of :attr:`LowLevelAPI.scores` under ``logits_all``: ``n_ctx`` rows (made on first use).

    ``n_ctx`` is the one asked for, as llama-cpp-python sizes it (llama.cpp may
    round the context up: the table then grows to hold ``rows``).
    """
    table = host._score_table
    if table is None or len(table) < rows:
        grown = np.zeros((max(int(host.context_params["n_ctx"]), rows), host._model.n_vocab), dtype=np.float32)
        if table is not None:
            grown[: len(table)] = table
        host._score_table = table = grown
    return table


def _scores_row(host: _Host, idx: int | None) -> np.ndarray:
    """The logits row of evaluated position ``idx`` (None: the last one) that :meth:`eval` kept."""
    last = len(host.input_ids) - 1
    position = last if idx is None else int(idx)
    if position == last + 1 and not host.logits_all:
        position = last  # llama-cpp-python's idx - n_tokens == 0: the one output row of the last eval, as there
    if not host._scores:
        raise ValueError("no logits kept for the evaluated tokens: call eval(tokens) before sample()")
    if position == last:
        return host._scores[-1]
    if not host.logits_all:
        raise ValueError(
            f"sample(idx={idx}): only the last evaluated position ({last}) has logits; "
            "load the model with logits_all=True to sample from others"
        )
    if not 0 <= position < len(host._scores):
        raise ValueError(f"sample(idx={idx}): evaluated positions are 0..{last}")
    return host._scores[position]
