"""``SamplingOptions``: the sampling parameters of one request, validated once, for every backend.

Each field is declared once here, with what llama-server calls it and its
neutral value, so a new sampling parameter is one field (plus its native
counterpart in ``native/sampling.h``): ``Llama``, ``RemoteLlama``, the server's
request bodies and the integrations take it from this class.  Every
out-of-range value raises ``ValueError`` naming the parameter, before anything
reaches llama.cpp.

Example::

    >>> from llama_native.request import SamplingOptions
    >>> SamplingOptions(temperature=0.0, top_n_sigma=1.5).top_n_sigma
    1.5
    >>> SamplingOptions(top_p=2.0)
    Traceback (most recent call last):
    ...
    ValueError: top_p must be between 0.0 and 1.0, got 2.0
"""

from __future__ import annotations

import dataclasses
import math
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .. import _native

DEFAULT_SEED: int = _native.default_seed()


def finite(name: str, value: float) -> float:
    """``value`` as a float, or ``ValueError`` naming ``name`` when it is no finite number."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return value


def _in_range(name: str, value: float, low: float, high: float) -> float:
    value = finite(name, value)
    if not low <= value <= high:
        raise ValueError(f"{name} must be between {low} and {high}, got {value}")
    return value


def resolve_seed(seed: int | None, default: int) -> int:
    """Per-call seed, else the model's seed; -1 or the default seed mean a fresh random one."""
    chosen = default if seed is None else seed
    if not isinstance(chosen, int) or isinstance(chosen, bool):
        raise ValueError(f"seed must be an integer, got {chosen!r}")
    if chosen in (DEFAULT_SEED, -1):
        return random.getrandbits(31)
    if chosen < 0:
        raise ValueError(f"seed must be >= 0 (or -1 for random), got {chosen}")
    return chosen & 0xFFFFFFFF


def _option(default: Any, server: str | None = None, *, extension: bool = False) -> Any:
    """A sampling field.

    ``server`` is llama-server's name for it (default: the same); ``extension`` marks a parameter that
    llama-cpp-python's signatures do not list (passed as a keyword argument).
    """
    return field(default=default, metadata={"server": server, "extension": extension})


@dataclass(frozen=True)
class SamplingOptions:
    """How one request samples each token (llama-cpp-python's names and defaults).

    ``seed`` None means the model's seed.  ``mirostat_mode`` 1 or 2 samples
    with Mirostat (v1/v2) instead of top-k/top-p/min-p; ``tfs_z`` other than
    1.0 raises ``NotImplementedError`` (llama.cpp removed tail-free sampling).
    ``top_n_sigma`` (> 0; -1: off) keeps the tokens within that many standard
    deviations of the top logit, as llama.cpp's ``--top-n-sigma``.
    """

    temperature: float = _option(0.8)
    top_k: int = _option(40)
    top_p: float = _option(0.95)
    min_p: float = _option(0.05)
    typical_p: float = _option(1.0)
    repeat_penalty: float = _option(1.0)
    presence_penalty: float = _option(0.0)
    frequency_penalty: float = _option(0.0)
    seed: int | None = _option(None)
    logit_bias: Mapping[int | str, float] | None = _option(None)
    mirostat_mode: int = _option(0, "mirostat")
    mirostat_tau: float = _option(5.0)
    mirostat_eta: float = _option(0.1)
    tfs_z: float = _option(1.0)
    top_n_sigma: float = _option(-1.0, extension=True)

    def __post_init__(self) -> None:
        temperature = finite("temperature", self.temperature)
        if temperature < 0:
            raise ValueError(f"temperature must be >= 0, got {temperature}")
        if not isinstance(self.top_k, int) or self.top_k < 0:
            raise ValueError(f"top_k must be an integer >= 0, got {self.top_k!r}")
        for name in ("top_p", "min_p", "typical_p"):
            _in_range(name, getattr(self, name), 0.0, 1.0)
        if finite("repeat_penalty", self.repeat_penalty) <= 0:
            raise ValueError(f"repeat_penalty must be > 0, got {float(self.repeat_penalty)}")
        for name in ("presence_penalty", "frequency_penalty"):
            _in_range(name, getattr(self, name), -2.0, 2.0)
        if self.seed is not None:
            resolve_seed(self.seed, 0)
        if finite("tfs_z", self.tfs_z) != 1.0:
            raise NotImplementedError(
                f"tfs_z={self.tfs_z}: llama.cpp removed tail-free sampling, so only tfs_z=1.0 (off) is accepted; "
                "min_p or top_p filter the tail instead"
            )
        mode = self.mirostat_mode
        if mode not in (0, 1, 2) or isinstance(mode, bool):
            raise ValueError(f"mirostat_mode must be 0 (off), 1 (Mirostat) or 2 (Mirostat 2.0), got {mode!r}")
        tau, eta = finite("mirostat_tau", self.mirostat_tau), finite("mirostat_eta", self.mirostat_eta)
        if mode and (tau <= 0 or eta <= 0):
            raise ValueError(f"mirostat_tau and mirostat_eta must be > 0, got {self.mirostat_tau}, {self.mirostat_eta}")
        sigma = finite("top_n_sigma", self.top_n_sigma)
        if sigma <= 0 and sigma != -1.0:
            raise ValueError(f"top_n_sigma must be > 0 (or -1: off), got {self.top_n_sigma}")
        self.logit_bias_pairs()  # keys must be token ids and values numbers

    # ------------------------------------------------------------ building
    @classmethod
    def names(cls) -> tuple[str, ...]:
        """Every field's name."""
        return tuple(f.name for f in dataclasses.fields(cls))

    @classmethod
    def extension_names(cls) -> tuple[str, ...]:
        """Fields that llama-cpp-python's signatures do not list: callers pass them as keyword arguments."""
        return tuple(f.name for f in dataclasses.fields(cls) if f.metadata["extension"])

    @classmethod
    def pick(cls, values: Mapping[str, Any]) -> SamplingOptions:
        """The options among ``values`` (other keys ignored; a missing one keeps its default)."""
        return cls(**{name: values[name] for name in cls.names() if name in values})

    def logit_bias_pairs(self, n_vocab: int | None = None) -> list[tuple[int, float]]:
        """``logit_bias`` as ``(token id, bias)`` pairs, checked (against ``n_vocab`` when given)."""
        pairs: list[tuple[int, float]] = []
        for token, value in (self.logit_bias or {}).items():
            try:
                token_id = int(token)
            except (TypeError, ValueError):
                raise ValueError(f"logit_bias keys must be token ids, got {token!r}") from None
            if n_vocab is not None and not 0 <= token_id < n_vocab:
                raise ValueError(f"logit_bias token {token_id} is outside the vocabulary (0..{n_vocab - 1})")
            bias = float(value)
            if math.isnan(bias):
                raise ValueError(f"logit_bias for token {token_id} is NaN")
            pairs.append((token_id, bias))
        return pairs

    # ------------------------------------------------------------ backends
    def to_native(self, *, seed: int, penalty_last_n: int, n_vocab: int) -> _native.SamplingParams:
        """The extension's ``SamplingParams`` (no grammar: see :mod:`llama_native.request.structure`).

        ``seed`` is the resolved seed; ``penalty_last_n`` the model's
        ``last_n_tokens_size``.
        """
        if not isinstance(penalty_last_n, int) or penalty_last_n < -1:
            raise ValueError(f"last_n_tokens_size must be an integer >= -1, got {penalty_last_n!r}")
        p = _native.SamplingParams()
        p.temperature = float(self.temperature)
        p.top_k = self.top_k
        p.top_p, p.min_p, p.typical_p = float(self.top_p), float(self.min_p), float(self.typical_p)
        p.repeat_penalty = float(self.repeat_penalty)
        p.presence_penalty, p.frequency_penalty = float(self.presence_penalty), float(self.frequency_penalty)
        p.penalty_last_n = penalty_last_n
        p.seed = seed
        p.mirostat = self.mirostat_mode
        p.mirostat_tau, p.mirostat_eta = float(self.mirostat_tau), float(self.mirostat_eta)
        p.top_n_sigma = float(self.top_n_sigma)
        pairs = self.logit_bias_pairs(n_vocab)
        if pairs:
            p.logit_bias = pairs
        return p

    def llama_server_fields(self, *, seed: int, penalty_last_n: int) -> dict[str, Any]:
        """The fields of a llama-server ``/completion`` body (``seed`` resolved)."""
        body: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            if f.name in ("seed", "logit_bias", "tfs_z"):
                continue
            body[f.metadata["server"] or f.name] = getattr(self, f.name)
        body["temperature"] = float(self.temperature)
        body["repeat_last_n"] = penalty_last_n
        body["seed"] = seed
        if self.logit_bias:
            body["logit_bias"] = [[t, b] for t, b in self.logit_bias_pairs()]
        return body

    def openai_fields(self, seed: int | None) -> dict[str, Any]:
        """Fields for an OpenAI-compatible server: OpenAI's own, plus the common extensions when not neutral."""
        body: dict[str, Any] = {
            "temperature": self.temperature,
            "top_p": self.top_p,
            "presence_penalty": self.presence_penalty,
            "frequency_penalty": self.frequency_penalty,
            "top_k": self.top_k,  # llama.cpp's, vLLM's, SGLang's
            "min_p": self.min_p,
        }
        for f in dataclasses.fields(self):
            if f.name in body or f.name in ("seed", "logit_bias", "tfs_z", "mirostat_tau", "mirostat_eta"):
                continue
            if getattr(self, f.name) != f.default:
                body[f.metadata["server"] or f.name] = getattr(self, f.name)
        if self.mirostat_mode:
            body["mirostat_tau"], body["mirostat_eta"] = self.mirostat_tau, self.mirostat_eta
        if seed is not None:
            body["seed"] = seed
        if self.logit_bias:
            body["logit_bias"] = {str(k): v for k, v in dict(self.logit_bias).items()}
        return body
